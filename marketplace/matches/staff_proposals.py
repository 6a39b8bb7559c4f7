"""Staff propose a candidate from a need's recommendations: one proposal, answered like a round's.

The recommendations page (and its API) lists, for each open resource line or shift, the best offers
or volunteers. Proposing one writes what a matching round would write for that pair: a proposed Match
(source ``staff``) and, for a volunteer, the pending ShiftSignup that keeps the pair unique. The
candidate is notified and accepts or declines (``round_proposals``), and an admin approves it only
after it was accepted. The match records where the candidate stood in the list (``shown_rank``) and
whether that place was the explored one (``explored``), which is what training learns from.

The domain's rules are the ones every path uses: the project must be open (``openings``), the offer
must be able to serve the line (``compatibility``), a pair already live is a 409.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.accounts.services import account_is_active
from marketplace.audit.services import record, snapshot
from marketplace.db.types import utcnow
from marketplace.matches import compatibility, openings, refusals, round_proposals, street_scope
from marketplace.matches import field_problems as problems
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.matches.services import LIVE, enter_open_need, field_problem
from marketplace.needs.models import ResourceLine, Shift
from marketplace.offers.models import OfferStatus
from marketplace.offers.services import effective_status, enter_offer
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

AUDIT_FIELDS = [
    "id",
    "need_id",
    "kind",
    "source",
    "status",
    "resource_line_id",
    "offer_id",
    "quantity",
    "shift_id",
    "volunteer_id",
    "shown_rank",
    "explored",
    "proposed_by_id",
]


@dataclass(frozen=True)
class StaffProposal:
    """Who is proposed for which part of the need, and where they stood in the list the proposer saw."""

    kind: Literal["offers", "volunteers"]
    part_id: int  # a resource line (offers) or a shift (volunteers) of the need
    candidate_id: int  # an offer, or a volunteer profile
    shown_rank: int | None = None
    explored: bool = False


def propose(db: Session, actor: CurrentUser, need_id: int, proposal: StaffProposal) -> Match:
    """Write the proposal in the caller's transaction and notify the candidate; 400 naming the field, 409
    when the project, line or shift takes nobody now or the pair is already live."""
    enter_open_need(db, need_id)  # before any row lock (needs.cancellation waits, or is waited for)
    refusal = openings.need_refusal(db, need_id)
    if refusal is not None:
        raise refusal
    if proposal.kind == "offers":
        match = _line_proposal(db, need_id, proposal, actor)
    elif proposal.kind == "volunteers":
        match = _shift_proposal(db, need_id, proposal, actor)
    else:
        raise field_problem("kind", problems.NOT_A_PROPOSAL_KIND, "not_a_choice")
    after = snapshot(match, AUDIT_FIELDS)
    record(db, "match.propose", object_type="match", object_id=match.id, after=after, actor=actor)
    round_proposals.notify_candidates(db, [match.id or 0])
    return match


def _new(need_id: int, proposal: StaffProposal, actor: CurrentUser, **fields: object) -> Match:
    return Match(
        need_id=need_id,
        source=MatchSource.STAFF,
        status=MatchStatus.PROPOSED,
        shown_rank=proposal.shown_rank,
        explored=proposal.explored,
        proposed_by_id=actor.id,
        **fields,  # type: ignore[arg-type]
    )


def _line_proposal(db: Session, need_id: int, proposal: StaffProposal, actor: CurrentUser) -> Match:
    line = db.get(ResourceLine, proposal.part_id)
    if line is None or line.need_id != need_id:
        raise field_problem("part_id", problems.LINE_NOT_IN_PROJECT, "line_not_in_project")
    refusal = openings.line_refusal(db, line)
    if refusal is not None:
        raise refusal
    offer = enter_offer(db, proposal.candidate_id)
    if offer is None:
        raise field_problem("candidate_id", problems.NOT_AN_OFFER, "not_an_offer")
    organization = db.get(Organization, offer.organization_id)
    if organization is None or organization.status is not OrganizationStatus.APPROVED:
        # A pending, rejected or suspended organization takes part in nothing (fifth probe: staff proposed a
        # suspended organization's offer, ranked first in the list, and its member accepted it).
        raise field_problem("candidate_id", problems.ORGANIZATION_NOT_APPROVED, "organization_not_approved")
    if not street_scope.serves_need_held(db, offer.organization_id, need_id):
        # Rule 4 as the street sees it: only organizations serving the need's street take part in it.
        raise field_problem("candidate_id", problems.OFFER_STREET_NOT_SERVED, "street_not_served")
    if (status := effective_status(offer)) is not OfferStatus.ACTIVE:
        said = {"status": status.label}
        raise field_problem("candidate_id", problems.OFFER_NOT_ACTIVE, "offer_not_active", said, status=status.value)
    found = compatibility.verdict(offer, line)
    if not found.ok:
        said = {"reason": compatibility.reason(found)}
        raise field_problem("candidate_id", problems.INCOMPATIBLE, "incompatible", said, reason_code=found.code)
    quantity = min(Decimal(line.still_needed), Decimal(offer.remaining_quantity))
    if line.still_needed <= 0:
        raise refusals.refusal("line_needs_nothing", refusals.LINE_NEEDS_NOTHING, resource_line_id=line.id)
    if quantity <= 0:
        raise field_problem("candidate_id", problems.NOTHING_LEFT, "nothing_left")
    # Two staff proposing the same offer at once would both pass the check below: the line's row lock
    # makes the second wait for the first's commit, then see its proposal and get the 409.
    lock_line(db, line.id or 0)
    live = db.execute(
        sa.select(Match.id).where(
            Match.kind == MatchKind.OFFER_LINE,
            Match.resource_line_id == line.id,
            Match.offer_id == offer.id,
            Match.status.in_(LIVE),  # type: ignore[attr-defined]
        )
    ).first()
    if live is not None:
        raise refusals.refusal("already_live", refusals.ALREADY_LIVE, need_id=need_id, offer_id=offer.id)
    match = _new(
        need_id,
        proposal,
        actor,
        kind=MatchKind.OFFER_LINE,
        resource_line_id=line.id,
        offer_id=offer.id,
        organization_id=offer.organization_id,
        quantity=quantity,
    )
    db.add(match)
    db.flush()
    return match


def lock_line(db: Session, line_id: int) -> None:
    """Serialise proposals for one resource line until the transaction ends (PostgreSQL's row lock; SQLite's
    BEGIN IMMEDIATE already serialises every writer), the way ``signups.lock_volunteer`` does for volunteers."""
    table = ResourceLine.__table__  # type: ignore[attr-defined]
    db.execute(
        table.update().where(table.c.id == line_id).values(id=table.c.id).execution_options(synchronize_session=False)
    )


def _shift_proposal(db: Session, need_id: int, proposal: StaffProposal, actor: CurrentUser) -> Match:
    shift = db.get(Shift, proposal.part_id)
    if shift is None or shift.need_id != need_id:
        raise field_problem("part_id", problems.SHIFT_NOT_IN_PROJECT, "shift_not_in_project")
    refusal = openings.shift_refusal(db, shift)
    if refusal is not None:
        raise refusal
    if shift.ends_at <= utcnow():
        raise refusals.refusal("shift_over", refusals.SHIFT_OVER, ends_at=shift.ends_at.isoformat())
    volunteer = db.get(VolunteerProfile, proposal.candidate_id)
    if volunteer is None:
        raise field_problem("candidate_id", problems.NOT_A_VOLUNTEER, "not_a_volunteer")
    if not account_is_active(db, volunteer.user_id):
        # Disabled or erased: offered nowhere (recommend.records), so nobody proposes them by id either.
        raise field_problem("candidate_id", problems.VOLUNTEER_NOT_ACTIVE, "volunteer_not_active")
    if not street_scope.volunteer_serves_need(db, proposal.candidate_id, need_id):
        # Rule 5 as the street sees it: the street proposes the volunteers who serve it.
        raise field_problem("candidate_id", problems.VOLUNTEER_STREET_NOT_SERVED, "street_not_served")
    match = _new(
        need_id, proposal, actor, kind=MatchKind.VOLUNTEER_SHIFT, shift_id=shift.id, volunteer_id=proposal.candidate_id
    )
    try:
        with db.begin_nested():
            db.add(match)
            db.flush()
            # The placeholder sign-up: its partial unique index is what refuses a second live pair.
            db.add(
                ShiftSignup(
                    shift_id=shift.id,  # type: ignore[arg-type]
                    volunteer_id=proposal.candidate_id,
                    match_id=match.id,
                    status=SignupStatus.PENDING,
                )
            )
            db.flush()
    except IntegrityError:
        raise refusals.refusal("already_live", refusals.ALREADY_LIVE, need_id=need_id, shift_id=shift.id) from None
    return match


def live_pairs(db: Session, kind: str, part_ids: list[int]) -> set[tuple[int, int]]:
    """(part, candidate) pairs of these lines or shifts that already have a live match or sign-up: the
    recommendations page shows them as proposed instead of offering to propose them again."""
    if not part_ids:
        return set()
    if kind == "offers":
        query = sa.select(Match.resource_line_id, Match.offer_id).where(
            Match.kind == MatchKind.OFFER_LINE,
            Match.resource_line_id.in_(part_ids),  # type: ignore[union-attr]
            Match.status.in_(LIVE),  # type: ignore[attr-defined]
        )
    else:
        query = sa.select(ShiftSignup.shift_id, ShiftSignup.volunteer_id).where(
            ShiftSignup.shift_id.in_(part_ids),  # type: ignore[attr-defined]
            ShiftSignup.status != SignupStatus.CANCELLED,
        )
    return {(int(part), int(candidate)) for part, candidate in db.execute(query) if candidate is not None}
