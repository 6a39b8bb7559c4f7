"""What the take-part, my-claims and my-shifts pages show, read from the database for one partner or volunteer.

Nothing here writes: the pages call claims.py, signups.py and delivery.py for that. No beneficiary data
(name, phone, address) is ever loaded into these views: partners and volunteers never see it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from litestar.exceptions import PermissionDeniedException
from sqlmodel import Session, col, select

from marketplace.matches.claims import list_claims
from marketplace.matches.delivery import CHECK_IN_OPENS  # one rule for the pages and the API
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import LIVE
from marketplace.matches.signups import list_signups
from marketplace.needs.models import Need, ResourceLine, Shift, ShiftSkill
from marketplace.offers.lifecycle import effective_status
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.services import require_approved_organization
from marketplace.places.models import Community, Grid
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup, SignupStatus, Skill, VolunteerProfile

CANCELLABLE_CLAIMS = (MatchStatus.PROPOSED, MatchStatus.APPROVED)
CANCELLABLE_SIGNUPS = (SignupStatus.PENDING, SignupStatus.CONFIRMED)
CURRENT_SIGNUPS = (SignupStatus.PENDING, SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN)


@dataclass(frozen=True)
class ProjectHead:
    """The project as the take-part page introduces it: public facts only."""

    need: Need
    grid: Grid | None
    community: Community | None


def project_head(db: Session, need: Need) -> ProjectHead:
    grid = db.get(Grid, need.grid_id)
    return ProjectHead(need, grid, db.get(Community, grid.community_id) if grid else None)


# --- partners ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimRow:
    match: Match
    need: Need | None
    line: ResourceLine | None
    offer: Offer | None

    @property
    def can_cancel(self) -> bool:
        return self.match.status in CANCELLABLE_CLAIMS

    @property
    def can_deliver(self) -> bool:
        return self.match.status is MatchStatus.APPROVED


@dataclass(frozen=True)
class LineChoice:
    line: ResourceLine
    offers: list[Offer]  # the partner's active offers of the line's kind


@dataclass
class PartnerView:
    organization_problem: str | None = None
    whole_taken: bool = False
    claims: list[ClaimRow] = field(default_factory=list)
    lines: list[LineChoice] = field(default_factory=list)

    @property
    def whole_is_ours(self) -> bool:
        """The live claim on the whole project is this organization's own."""
        return any(row.match.kind is MatchKind.WHOLE_NEED and row.match.status in LIVE for row in self.claims)


def claim_rows(db: Session, matches: list[Match]) -> list[ClaimRow]:
    return [
        ClaimRow(
            match,
            db.get(Need, match.need_id),
            db.get(ResourceLine, match.resource_line_id) if match.resource_line_id else None,
            db.get(Offer, match.offer_id) if match.offer_id else None,
        )
        for match in matches
    ]


def partner_view(db: Session, actor: CurrentUser, need_id: int) -> PartnerView:
    view = PartnerView(whole_taken=whole_claim_taken(db, need_id))
    try:
        require_approved_organization(db, actor)
    except PermissionDeniedException as problem:
        view.organization_problem = str(problem.detail)
        return view
    view.claims = claim_rows(db, [m for m in list_claims(db, actor) if m.need_id == need_id])
    lines = db.exec(select(ResourceLine).where(ResourceLine.need_id == need_id).order_by(col(ResourceLine.id))).all()
    offers = db.exec(
        select(Offer).where(Offer.organization_id == (actor.organization_id or 0)).order_by(col(Offer.title))
    ).all()
    active = [
        offer for offer in offers if effective_status(offer) is OfferStatus.ACTIVE and offer.remaining_quantity > 0
    ]
    view.lines = [LineChoice(line, _offers_for(line, active)) for line in lines]
    return view


def _offers_for(line: ResourceLine, offers: list[Offer]) -> list[Offer]:
    """The offers of the line's kind, those of its category and unit first (the likeliest fit)."""
    fitting = [offer for offer in offers if offer.kind == line.kind]
    return sorted(fitting, key=lambda offer: (offer.category != line.category, offer.unit != line.unit))


def whole_claim_taken(db: Session, need_id: int) -> bool:
    """Someone (any partner) holds a live claim on the whole project: nobody else may claim it."""
    taken = db.exec(
        select(Match.id).where(
            Match.need_id == need_id, Match.kind == MatchKind.WHOLE_NEED, col(Match.status).in_(LIVE)
        )
    ).first()
    return taken is not None


@dataclass
class ClaimsPage:
    open: list[ClaimRow]
    closed: list[ClaimRow]


def claims_page(db: Session, actor: CurrentUser) -> ClaimsPage:
    rows = claim_rows(db, list_claims(db, actor))
    return ClaimsPage(
        open=[row for row in rows if row.match.status in CANCELLABLE_CLAIMS],
        closed=[row for row in rows if row.match.status not in CANCELLABLE_CLAIMS],
    )


# --- volunteers -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftChoice:
    shift: Shift
    signup: ShiftSignup | None  # the volunteer's live sign-up, if any
    skills: list[Skill]
    now: datetime

    @property
    def open_slots(self) -> int:
        return max(0, self.shift.slots - self.shift.confirmed_count)

    @property
    def is_over(self) -> bool:
        return self.shift.ends_at <= self.now


@dataclass
class VolunteerView:
    has_profile: bool = False
    shifts: list[ShiftChoice] = field(default_factory=list)


def volunteer_view(db: Session, actor: CurrentUser, need_id: int, now: datetime) -> VolunteerView:
    profile = db.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == actor.id)).first()
    mine = {
        signup.shift_id: signup
        for signup, _shift in list_signups(db, actor)
        if signup.status is not SignupStatus.CANCELLED
    }
    shifts = db.exec(select(Shift).where(Shift.need_id == need_id).order_by(col(Shift.starts_at))).all()
    skills = _skills_of(db, [shift.id for shift in shifts if shift.id is not None])
    return VolunteerView(
        has_profile=profile is not None,
        shifts=[ShiftChoice(s, mine.get(s.id or 0), skills.get(s.id or 0, []), now) for s in shifts],
    )


def _skills_of(db: Session, shift_ids: list[int]) -> dict[int, list[Skill]]:
    if not shift_ids:
        return {}
    rows = db.exec(
        select(ShiftSkill.shift_id, Skill)
        .join(Skill, col(Skill.id) == ShiftSkill.skill_id)
        .where(col(ShiftSkill.shift_id).in_(shift_ids))
        .order_by(col(Skill.id))
    ).all()
    found: dict[int, list[Skill]] = {}
    for shift_id, skill in rows:
        found.setdefault(shift_id, []).append(skill)
    return found


@dataclass(frozen=True)
class SignupRow:
    signup: ShiftSignup
    shift: Shift
    need: Need | None
    now: datetime

    @property
    def is_over(self) -> bool:
        return self.shift.ends_at <= self.now

    @property
    def is_current(self) -> bool:
        """Still to do: an upcoming sign-up, or a check-in that waits for its check-out."""
        status = self.signup.status
        return status is SignupStatus.CHECKED_IN or (status in CURRENT_SIGNUPS and not self.is_over)

    @property
    def can_cancel(self) -> bool:
        return self.signup.status in CANCELLABLE_SIGNUPS and self.now < self.shift.starts_at

    @property
    def check_in_opens_at(self) -> datetime:
        return self.shift.starts_at - CHECK_IN_OPENS

    @property
    def can_check_in(self) -> bool:
        return self.signup.status is SignupStatus.CONFIRMED and check_in_open(self.shift, self.now)

    @property
    def can_check_out(self) -> bool:
        return self.signup.status is SignupStatus.CHECKED_IN


def check_in_open(shift: Shift, now: datetime) -> bool:
    return shift.starts_at - CHECK_IN_OPENS <= now < shift.ends_at


@dataclass
class SignupsPage:
    has_profile: bool
    current: list[SignupRow]
    past: list[SignupRow]


def signups_page(db: Session, actor: CurrentUser, now: datetime) -> SignupsPage:
    profile = db.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == actor.id)).first()
    needs: dict[int, Need | None] = {}
    rows: list[SignupRow] = []
    for signup, shift in list_signups(db, actor):
        if shift.need_id not in needs:
            needs[shift.need_id] = db.get(Need, shift.need_id)
        rows.append(SignupRow(signup, shift, needs[shift.need_id], now))
    return SignupsPage(
        has_profile=profile is not None,
        current=[row for row in rows if row.is_current],
        past=sorted((row for row in rows if not row.is_current), key=lambda row: row.shift.starts_at, reverse=True),
    )
