"""What the take-part, my-claims and my-shifts pages show, read from the database for one partner or volunteer.

Nothing here writes: the pages call claims.py, signups.py and delivery.py for that. No beneficiary data
(name, phone, address) is ever loaded into these views: partners and volunteers never see it.
Each list comes with its related rows in one joined query, so a page costs the same few queries
however many claims or sign-ups it shows.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from litestar.exceptions import PermissionDeniedException
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from marketplace.items.services import item_labels
from marketplace.matches import compatibility, signups
from marketplace.matches.claims import ClaimFilters, claims_of_organization
from marketplace.matches.delivery import CHECK_IN_OPENS  # one rule for the pages and the API
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.reasons import reason_shown, said_reason
from marketplace.matches.round_proposals import not_an_unaccepted_proposal_signup
from marketplace.matches.services import LIVE
from marketplace.needs.models import Need, ResourceLine, Shift, ShiftSkill
from marketplace.offers.models import Offer, OfferStatus
from marketplace.offers.services import effective_status
from marketplace.organizations.services import require_approved_organization
from marketplace.places.models import Community, Grid
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup, SignupStatus, Skill, VolunteerProfile
from marketplace.volunteers.services import Credit, credit_of
from matching.units import Verdict

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
    found = db.exec(
        select(Grid, Community)
        .outerjoin(Community, col(Community.id) == Grid.community_id)
        .where(Grid.id == need.grid_id)
    ).first()
    grid, community = found if found is not None else (None, None)
    return ProjectHead(need, grid, community)


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

    @property
    def reason(self) -> str | None:
        """The reason a rejected or cancelled claim shows the partner (``reasons.reason_shown``)."""
        return reason_shown(self.match, own=True)


# At most this many of a line's unfit offers are listed with their reasons (a partner may hold dozens).
MAX_UNFIT_SHOWN = 5


@dataclass(frozen=True)
class Unfit:
    """An active offer of the line's kind that cannot serve it, and why (``compatibility.verdict``: the one rule)."""

    offer: Offer
    verdict: Verdict

    @property
    def reason(self) -> str:
        """The refusal in the page's language (``Verdict.en_named`` on English pages: units by their names)."""
        return compatibility.reason(self.verdict)


@dataclass(frozen=True)
class LineChoice:
    line: ResourceLine
    offers: list[Offer]  # the partner's active offers that can serve the line (compatibility.offers_for)
    # The partner's active offers of the line's kind that cannot serve it, each with the rule's reason: the
    # page says per offer why it does not fit (first MAX_UNFIT_SHOWN; ``unfit_count`` counts them all).
    unfit: list[Unfit] = field(default_factory=list)
    unfit_count: int = 0

    @property
    def other_units(self) -> list[str]:
        """The units of the unfit offers shown (kept for callers that only name units)."""
        return list(dict.fromkeys(row.offer.unit for row in self.unfit))

    def chosen(self, offer_id: str = "") -> Offer | None:
        """The offer the form shows selected: the one sent back with a refused claim, else the first."""
        return next(
            (offer for offer in self.offers if str(offer.id) == offer_id), self.offers[0] if self.offers else None
        )

    def can_give(self, offer: Offer) -> Decimal:
        """What a claim from ``offer`` may ask: the smaller of what the line still needs and what the offer has
        left (the claim service refuses more, either way)."""
        return max(Decimal(0), min(self.line.still_needed, offer.remaining_quantity))


@dataclass
class PartnerView:
    organization_problem: str | None = None
    whole_taken: bool = False
    claims: list[ClaimRow] = field(default_factory=list)
    lines: list[LineChoice] = field(default_factory=list)
    item_labels: dict[str, str] = field(default_factory=dict)  # item key -> how the page names it

    @property
    def whole_is_ours(self) -> bool:
        """The live claim on the whole project is this organization's own."""
        return any(row.match.kind is MatchKind.WHOLE_NEED and row.match.status in LIVE for row in self.claims)


def claim_rows(
    db: Session, organization_id: int | None, need_id: int | None = None, filters: ClaimFilters | None = None
) -> list[ClaimRow]:
    """The organization's claims (on one project, when given; as ``filters`` narrow them), newest first, each
    with its need, line and offer."""
    if organization_id is None:
        return []
    statement = (
        (filters or ClaimFilters())
        .apply(claims_of_organization(organization_id))
        .add_columns(Need, ResourceLine, Offer)
        .outerjoin(Need, col(Need.id) == Match.need_id)
        .outerjoin(ResourceLine, col(ResourceLine.id) == Match.resource_line_id)
        .outerjoin(Offer, col(Offer.id) == Match.offer_id)
    )
    if need_id is not None:
        statement = statement.where(Match.need_id == need_id)
    return [ClaimRow(match, need, line, offer) for match, need, line, offer in db.execute(statement).all()]


def partner_view(db: Session, actor: CurrentUser, need_id: int) -> PartnerView:
    view = PartnerView(whole_taken=whole_claim_taken(db, need_id))
    try:
        require_approved_organization(db, actor)
    except PermissionDeniedException as problem:
        view.organization_problem = str(problem.detail)
        return view
    view.claims = claim_rows(db, actor.organization_id, need_id)
    lines = db.exec(select(ResourceLine).where(ResourceLine.need_id == need_id).order_by(col(ResourceLine.id))).all()
    # Only offers that can still give something are worth loading; effective_status then drops expired ones.
    offers = db.exec(
        select(Offer)
        .where(
            Offer.organization_id == (actor.organization_id or 0),
            Offer.status == OfferStatus.ACTIVE,
            col(Offer.remaining_quantity) > 0,
        )
        .order_by(col(Offer.title))
    ).all()
    active = [offer for offer in offers if effective_status(offer) is OfferStatus.ACTIVE]
    view.lines = [_choice(line, active) for line in lines]
    view.item_labels = item_labels(db, [line.item_key for line in lines])
    return view


def _choice(line: ResourceLine, offers: list[Offer]) -> LineChoice:
    """The offers that can serve the line (the first is pre-selected) and its kind's others with the reason
    each cannot (the line's own item first, then its category: the likeliest near misses)."""
    fitting = compatibility.offers_for(line, offers)
    unfit = [
        Unfit(offer, compatibility.verdict(offer, line))
        for offer in offers
        if offer.kind == line.kind and offer not in fitting
    ]
    unfit.sort(key=lambda row: (row.offer.item_key != line.item_key, row.offer.category != line.category))
    return LineChoice(line, fitting, unfit[:MAX_UNFIT_SHOWN], len(unfit))


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
    filters: ClaimFilters = field(default_factory=ClaimFilters)

    @property
    def total(self) -> int:
        return len(self.open) + len(self.closed)

    @property
    def projects(self) -> int:
        """The projects these claims are on (the home's "projects served" for the delivered ones)."""
        return len({row.match.need_id for row in self.open + self.closed})


def claims_page(db: Session, actor: CurrentUser, filters: ClaimFilters | None = None) -> ClaimsPage:
    filters = filters or ClaimFilters()
    rows = claim_rows(db, actor.organization_id, filters=filters)
    return ClaimsPage(
        open=[row for row in rows if row.match.status in CANCELLABLE_CLAIMS],
        closed=[row for row in rows if row.match.status not in CANCELLABLE_CLAIMS],
        filters=filters,
    )


# --- volunteers -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShiftChoice:
    shift: Shift
    signup: ShiftSignup | None  # the volunteer's live sign-up, if any
    skills: list[Skill]
    now: datetime
    # Another shift the volunteer is confirmed for at the same time: a sign-up here would be refused.
    clash: Shift | None = None
    # When the clash's hold ends: its end, or the check-out of a stay that ended early (``held_time``).
    clash_until: datetime | None = None

    @property
    def clash_left_early(self) -> bool:
        """The clash is a finished stay, checked out before its end: there is nothing to cancel."""
        return self.clash is not None and self.clash_until is not None and self.clash_until < self.clash.ends_at

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


def profile_id_of(db: Session, actor: CurrentUser) -> int | None:
    """The actor's volunteer profile id, or None before they filled in a profile."""
    return db.exec(select(VolunteerProfile.id).where(VolunteerProfile.user_id == actor.id)).first()


def volunteer_view(db: Session, actor: CurrentUser, need_id: int, now: datetime) -> VolunteerView:
    profile_id = profile_id_of(db, actor)
    # Each shift of the project with the volunteer's live sign-up on it, if any (at most one: a unique index).
    mine = (
        sa.and_(
            col(ShiftSignup.shift_id) == Shift.id,
            ShiftSignup.volunteer_id == profile_id,
            ShiftSignup.status != SignupStatus.CANCELLED,
        )
        if profile_id is not None
        else sa.false()
    )
    rows = db.exec(
        select(Shift, ShiftSignup)
        .outerjoin(ShiftSignup, mine)
        .where(Shift.need_id == need_id)
        .order_by(col(Shift.starts_at), col(Shift.id))
    ).all()
    skills = _skills_of(db, [shift.id for shift, _signup in rows if shift.id is not None])
    held = (
        signups.confirmed_shifts_between(
            db, profile_id, min(shift.starts_at for shift, _ in rows), max(shift.ends_at for shift, _ in rows)
        )
        if profile_id is not None and rows
        else []
    )

    def choice(shift: Shift, signup: ShiftSignup | None) -> ShiftChoice:
        clash = None if signup else signups.clash_of(held, shift.id, shift.starts_at, shift.ends_at)
        other, until = clash or (None, None)
        return ShiftChoice(shift, signup, skills.get(shift.id or 0, []), now, clash=other, clash_until=until)

    return VolunteerView(has_profile=profile_id is not None, shifts=[choice(shift, signup) for shift, signup in rows])


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
    # The shift this volunteer is checked in to, when it is another one: one shift at a time.
    checked_in_elsewhere: Shift | None = None
    stored_reason: str | None = None  # the sign-up's match's decision reason (a cancelled or refused one)

    @property
    def reason(self) -> str | None:
        """Why a cancelled or refused sign-up ended, in the volunteer's language (``reasons.said_reason``)."""
        if self.signup.status is not SignupStatus.CANCELLED:
            return None
        return said_reason(self.stored_reason, own=True)

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
        return (
            self.signup.status is SignupStatus.CONFIRMED
            and check_in_open(self.shift, self.now)
            and self.checked_in_elsewhere is None
        )

    @property
    def check_out_opens_at(self) -> datetime:
        return self.shift.starts_at

    @property
    def can_check_out(self) -> bool:
        """Checked in and the shift has started (leaving before the start would be no work done)."""
        return self.signup.status is SignupStatus.CHECKED_IN and self.now >= self.shift.starts_at

    @property
    def credit(self) -> Credit | None:
        """What a completed sign-up was credited, and why (recomputed from its stored times)."""
        return credit_of(self.signup, self.shift) if self.signup.status is SignupStatus.COMPLETED else None


def check_in_open(shift: Shift, now: datetime) -> bool:
    return shift.starts_at - CHECK_IN_OPENS <= now < shift.ends_at


@dataclass
class SignupsPage:
    has_profile: bool
    current: list[SignupRow]
    past: list[SignupRow]
    checked_out: SignupRow | None = None  # the sign-up just checked out: the page says what it credited


# The sign-up's own match, for its decision reason (an alias: the proposal filter correlates Match itself).
_decided = aliased(Match)


def signups_page(db: Session, actor: CurrentUser, now: datetime) -> SignupsPage:
    profile_id = profile_id_of(db, actor)
    found = (
        db.exec(
            select(ShiftSignup, Shift, Need, _decided.decision_reason)
            .join(Shift, col(Shift.id) == ShiftSignup.shift_id)
            .outerjoin(Need, col(Need.id) == Shift.need_id)
            .outerjoin(_decided, _decided.id == ShiftSignup.match_id)
            .where(ShiftSignup.volunteer_id == profile_id, not_an_unaccepted_proposal_signup())
            .order_by(col(Shift.starts_at))
        ).all()
        if profile_id is not None
        else []
    )
    checked_in = next((shift for signup, shift, _need, _why in found if signup.status is SignupStatus.CHECKED_IN), None)
    rows = [
        SignupRow(
            signup,
            shift,
            need,
            now,
            checked_in if checked_in is not None and checked_in.id != shift.id else None,
            stored_reason=why,
        )
        for signup, shift, need, why in found
    ]
    return SignupsPage(
        has_profile=profile_id is not None,
        current=[row for row in rows if row.is_current],
        past=sorted((row for row in rows if not row.is_current), key=lambda row: row.shift.starts_at, reverse=True),
    )


def just_checked_out(page: SignupsPage, signup_id: int | None) -> SignupRow | None:
    """The sign-up the volunteer has just checked out, for the page to say what it credited and why."""
    rows = page.current + page.past
    return next((row for row in rows if row.signup.id == signup_id and row.credit is not None), None)
