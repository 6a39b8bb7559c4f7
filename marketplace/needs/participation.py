"""Who takes part in a need, for its staff page: claims of partners, volunteers' sign-ups, and how far
each resource line and shift has come (what verification waits for)."""

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.matches.services import AWAITING, reason_shown
from marketplace.needs.models import ResourceLine, Shift
from marketplace.organizations.models import Organization
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from marketplace.web import localized_name


@dataclass(frozen=True)
class Claim:
    match: Match
    who: str
    line: ResourceLine | None

    @property
    def reason(self) -> str | None:
        """Why it was rejected or cancelled, as the street's staff read it (``matches.reasons``)."""
        return reason_shown(self.match, own=False)


@dataclass(frozen=True)
class SignupRow:
    signup: ShiftSignup
    who: str
    proposed: bool = False  # a round's or the staff's proposal still waiting for the volunteer's answer
    by_staff: bool = False  # the proposal came from the street's staff (the need's recommendations), not a round


@dataclass(frozen=True)
class LineProgress:
    line: ResourceLine
    delivered: Decimal
    # The need's whole-project claim, when one is approved or delivered: it covers what the line still needs.
    whole: MatchStatus | None = None
    whole_by: str = ""

    @property
    def by_whole_claim(self) -> bool:
        return self.whole in (MatchStatus.APPROVED, MatchStatus.FULFILLED)

    @property
    def closed(self) -> bool:
        return self.line.closed_at is not None

    @property
    def covered(self) -> bool:
        return self.line.still_needed <= 0 or self.whole is MatchStatus.APPROVED


@dataclass(frozen=True)
class ShiftProgress:
    shift: Shift
    signups: list[SignupRow]
    over: bool

    @property
    def cancelled(self) -> bool:
        return self.shift.cancelled_at is not None

    @property
    def started(self) -> bool:
        return self.shift.starts_at <= utcnow()


def _volunteer_names(db: Session, profile_ids: set[int]) -> dict[int, str]:
    if not profile_ids:
        return {}
    rows = db.execute(
        sa.select(VolunteerProfile.id, User.display_name)
        .join(User, User.id == VolunteerProfile.user_id)
        .where(VolunteerProfile.id.in_(sorted(profile_ids)))  # type: ignore[union-attr]
    ).all()
    return {profile_id: name for profile_id, name in rows}


def claims_of(db: Session, need_id: int) -> list[Claim]:
    """Partners' claims (whole project or a resource line), newest first."""
    rows = db.execute(
        sa.select(Match, Organization, ResourceLine)
        .outerjoin(Organization, Organization.id == Match.organization_id)  # type: ignore[arg-type]
        .outerjoin(ResourceLine, ResourceLine.id == Match.resource_line_id)  # type: ignore[arg-type]
        .where(Match.need_id == need_id, Match.kind != MatchKind.VOLUNTEER_SHIFT)
        .order_by(Match.created_at.desc(), Match.id.desc())  # type: ignore[attr-defined]
    ).all()
    return [Claim(match=match, who=_partner_name(org), line=line) for match, org, line in rows]


def line_progress(db: Session, lines: list[ResourceLine]) -> list[LineProgress]:
    """How far each line has come: what line claims delivered, and what a delivered whole-project claim
    provided (everything the line still needed when it was delivered, see docs/need_changes.md)."""
    ids = [line.id for line in lines if line.id is not None]
    delivered: dict[int, Decimal] = {}
    pending: dict[int, Decimal] = {}
    if ids:
        rows = db.execute(
            sa.select(Match.resource_line_id, Match.status, sa.func.sum(Match.quantity))
            .where(Match.resource_line_id.in_(ids), Match.status.in_([MatchStatus.FULFILLED, MatchStatus.APPROVED]))  # type: ignore[union-attr,attr-defined]
            .group_by(Match.resource_line_id, Match.status)
        ).all()
        for line_id, status, total in rows:
            (delivered if MatchStatus(status) is MatchStatus.FULFILLED else pending)[line_id] = Decimal(total or 0)
    wholes = _whole_claims(db, {line.need_id for line in lines})
    progress = []
    for line in lines:
        whole, whole_by = wholes.get(line.need_id, (None, ""))
        done = delivered.get(line.id or 0, Decimal(0))
        if whole is MatchStatus.FULFILLED and not line.closed_at:
            # The whole claim provided the rest: all but what approved line claims still have to bring.
            done = max(done, line.quantity - line.still_needed - pending.get(line.id or 0, Decimal(0)))
        progress.append(LineProgress(line=line, delivered=done, whole=whole, whole_by=whole_by))
    return progress


def _whole_claims(db: Session, need_ids: set[int]) -> dict[int, tuple[MatchStatus, str]]:
    """Each need's approved or delivered whole-project claim: its status and the partner's name."""
    if not need_ids:
        return {}
    rows = db.execute(
        sa.select(Match.need_id, Match.status, Organization)
        .outerjoin(Organization, Organization.id == Match.organization_id)  # type: ignore[arg-type]
        .where(
            Match.need_id.in_(sorted(need_ids)),  # type: ignore[attr-defined]
            Match.kind == MatchKind.WHOLE_NEED,
            Match.status.in_([MatchStatus.APPROVED, MatchStatus.FULFILLED]),  # type: ignore[attr-defined]
        )
    ).all()
    return {need_id: (MatchStatus(status), _partner_name(org)) for need_id, status, org in rows}


def _partner_name(organization: Organization | None) -> str:
    """The partner as the reader reads it: the English name to an English reader where it has one."""
    return localized_name(organization) if organization is not None else ""


def _awaiting_sources(db: Session, match_ids: list[int]) -> dict[int, MatchSource]:
    """Which of these matches are proposals still waiting for the candidate's answer, and who proposed each
    (a round or the staff): one query."""
    if not match_ids:
        return {}
    rows = db.execute(sa.select(Match.id, Match.source).where(Match.id.in_(sorted(set(match_ids))), AWAITING))  # type: ignore[union-attr]
    return {int(match_id): MatchSource(source) for match_id, source in rows}


def shift_progress(db: Session, shifts: list[Shift]) -> list[ShiftProgress]:
    ids = [shift.id for shift in shifts if shift.id is not None]
    signups: list[ShiftSignup] = []
    if ids:
        signups = list(
            db.execute(
                sa.select(ShiftSignup)
                .where(ShiftSignup.shift_id.in_(ids), ShiftSignup.status != SignupStatus.CANCELLED)  # type: ignore[attr-defined]
                .order_by(ShiftSignup.id)
            ).scalars()
        )
    names = _volunteer_names(db, {row.volunteer_id for row in signups})
    proposed = _awaiting_sources(db, [row.match_id for row in signups if row.match_id is not None])
    now = utcnow()
    return [
        ShiftProgress(
            shift=shift,
            signups=[
                SignupRow(
                    row,
                    names.get(row.volunteer_id, ""),
                    row.match_id in proposed,
                    proposed.get(row.match_id or 0) is MatchSource.STAFF,
                )
                for row in signups
                if row.shift_id == shift.id
            ],
            over=shift.ends_at <= now,
        )
        for shift in shifts
    ]
