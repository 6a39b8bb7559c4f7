"""A round's plan written as proposals: one Match per pairing, recording its round, nothing approved.

Each proposal is an offer to its candidate (marketplace/matches/matches_services.py): the volunteer, or
the users of the partner organization whose offer was chosen, are notified and accept or decline it;
admins approve it only once it was accepted. A volunteer proposal also gets a pending ShiftSignup, the
placeholder that keeps the pair unique (review.py confirms it on approval; the volunteer's own lists
leave it out until they accept). Each volunteer proposal is written in a savepoint: if a sign-up or
match for the same pair landed since the plan was made, the partial unique indexes refuse it and only
that proposal is skipped.

Rounds of different streets run side by side, and a volunteer or an organization may serve both streets:
before writing, the offers and volunteers of the plan are locked (``FOR UPDATE`` on PostgreSQL; SQLite's
writers take turns anyway) and what is held now is read again, so a proposal that would promise an offer's
units twice, or a volunteer two shifts at once, because another street's round wrote first is skipped.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.audit.services import record, snapshot
from marketplace.db.types import utcnow
from marketplace.matches import services as matches_services
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.matches.services import enter_open_needs_for_round, served_pairs
from marketplace.needs.models import Shift
from marketplace.offers.models import Offer, OfferStatus
from marketplace.rounds.inputs import SLOT_HOLDERS, live_line_pairs
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from matching.round import Proposal, RoundPlan

Slot = tuple[int, datetime, datetime]  # a shift and its times

AUDIT_FIELDS = [
    "id",
    "need_id",
    "kind",
    "source",
    "status",
    "quantity",
    "score",
    "shown_rank",
    "proposed_by_id",
    "round_id",
]
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Author:
    """Who the proposals are recorded as coming from: the admin who started the round, or the command line."""

    user_id: int | None
    role: str
    client_address: str | None = None


@dataclass
class Written:
    lines: int = 0
    shifts: int = 0
    skipped: int = 0
    match_ids: list[int] = field(default_factory=list)


def explanation(proposal: Proposal) -> list[dict[str, Any]]:
    """The reasons as data the review page renders in the reader's language (matches/explanations.py)."""
    return [
        {
            "feature": reason.feature,
            "value": round(reason.value, 4),
            "contribution": round(reason.contribution, 4),
            "zh": reason.zh,
            "en": reason.en,
        }
        for reason in proposal.reasons
    ]


def _match(proposal: Proposal, author: Author, round_id: int | None, **fields: Any) -> Match:
    return Match(
        round_id=round_id,
        need_id=proposal.need_id,
        source=MatchSource.MATCHING_ROUND,
        status=MatchStatus.PROPOSED,
        score=round(proposal.score, 6),
        explanation=explanation(proposal),
        shown_rank=proposal.shown_rank,
        proposed_by_id=author.user_id,
        **fields,
    )


def _audit(db: Session, match: Match, author: Author) -> None:
    record(
        db,
        "match.propose",
        object_type="match",
        object_id=match.id,
        after=snapshot(match, AUDIT_FIELDS),
        actor_id=author.user_id,
        actor_role=author.role,
        client_address=author.client_address,
    )


def _lock(db: Session, column: Any, ids: set[int]) -> None:
    """Hold these rows until the commit, in id order (no deadlock between two rounds); a no-op on SQLite."""
    if ids:
        db.execute(
            sa.select(column).where(column.in_(sorted(ids))).order_by(column).with_for_update(key_share=True)
        ).all()


def offer_room(db: Session, offer_ids: set[int]) -> dict[int, Decimal]:
    """What each active offer has left now, less what proposals waiting for an answer or review hold; an offer
    withdrawn or expired since the plan has no room.

    Shared row locks in id order (no deadlock between two rounds): a withdrawal arriving meanwhile waits for
    the commit and then ends what the round proposed from its offer (offers.lifecycle.enter_offer).
    """
    if not offer_ids:
        return {}
    query = (
        sa.select(Offer.id, Offer.remaining_quantity)
        .where(
            Offer.id.in_(sorted(offer_ids)),  # type: ignore[union-attr]
            Offer.status == OfferStatus.ACTIVE,
            sa.or_(Offer.valid_until.is_(None), Offer.valid_until > utcnow()),  # type: ignore[union-attr, operator]
        )
        .order_by(Offer.id)
        .with_for_update(read=True)
    )
    remaining = {offer_id: left for offer_id, left in db.execute(query)}
    held = sa.select(Match.offer_id, sa.func.sum(Match.quantity)).where(
        Match.kind == MatchKind.OFFER_LINE,
        Match.status == MatchStatus.PROPOSED,
        Match.offer_id.in_(sorted(offer_ids)),  # type: ignore[union-attr]
    )
    room = {int(offer_id): Decimal(str(left)) for offer_id, left in remaining.items()}
    for offer_id, quantity in db.execute(held.group_by(Match.offer_id)):
        room[int(offer_id)] = room.get(int(offer_id), Decimal(0)) - Decimal(str(quantity or 0))
    return {offer_id: left.quantize(CENT, rounding=ROUND_HALF_UP) for offer_id, left in room.items()}


def volunteer_slots(db: Session, volunteer_ids: set[int]) -> dict[int, list[Slot]]:
    """The shifts each volunteer holds now: confirmed ones and those proposed to them."""
    _lock(db, VolunteerProfile.id, volunteer_ids)
    ids = sorted(volunteer_ids)
    confirmed = (
        sa.select(ShiftSignup.volunteer_id, Shift.id, Shift.starts_at, matches_services.held_until())
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .where(ShiftSignup.status.in_(SLOT_HOLDERS), ShiftSignup.volunteer_id.in_(ids))  # type: ignore[attr-defined]
    )
    proposed = (
        sa.select(Match.volunteer_id, Shift.id, Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == Match.shift_id)  # type: ignore[arg-type]
        .where(
            Match.kind == MatchKind.VOLUNTEER_SHIFT,
            Match.status == MatchStatus.PROPOSED,
            Match.volunteer_id.in_(ids),  # type: ignore[union-attr]
        )
    )
    slots: dict[int, list[Slot]] = defaultdict(list)
    for volunteer_id, shift_id, starts_at, ends_at in [*db.execute(confirmed), *db.execute(proposed)]:
        slots[int(volunteer_id)].append((int(shift_id), starts_at, ends_at))
    return slots


def offer_organizations(db: Session, offer_ids: set[int]) -> dict[int, int]:
    """Each offer's organization as the database has it, in one query: rule 4 is checked against these, never
    against what a caller believes."""
    if not offer_ids:
        return {}
    query = sa.select(Offer.id, Offer.organization_id).where(Offer.id.in_(sorted(offer_ids)))  # type: ignore[union-attr]
    return {int(offer_id): int(organization_id) for offer_id, organization_id in db.execute(query)}


def _clashes(slot: Slot, held: list[Slot]) -> bool:
    shift_id, starts_at, ends_at = slot
    return any(other != shift_id and start < ends_at and starts_at < end for other, start, end in held)


def write(
    db: Session,
    plan: RoundPlan,
    author: Author,
    round_id: int | None = None,
    street_id: int | None = None,
) -> Written:
    """Add the plan's proposals in the caller's transaction and notify their candidates; returns how many
    went in and how many not. ``street_id``: the round's street (None: every street)."""
    written = Written()
    # First, before any row lock: a need cancelled since the plan was made takes no proposal, and one being
    # cancelled now waits for this round to commit, then ends its proposals (matches.services).
    open_needs = enter_open_needs_for_round(db, street_id, [p.need_id for p in [*plan.lines, *plan.shifts]])
    # Again, now (a claim may have landed while the round was planning), for the plan's lines only.
    taken = live_line_pairs(db, lines={p.part_id for p in plan.lines})
    room = offer_room(db, {p.candidate_id for p in plan.lines})
    # Rule 4 for every round, a whole deployment's too: an offer only where its organization serves the need's
    # street, as it does now (it may have given a street up since the plan was read). The offers' organizations
    # are read here, from the offers themselves: an offer no longer there has none and serves no street.
    organization_of = offer_organizations(db, {p.candidate_id for p in plan.lines})
    served = served_pairs(db, {(organization_of.get(p.candidate_id, 0), p.need_id) for p in plan.lines})
    slots = volunteer_slots(db, {p.candidate_id for p in plan.shifts})
    times = {
        int(shift_id): (int(shift_id), starts_at, ends_at)
        for shift_id, starts_at, ends_at in db.execute(
            sa.select(Shift.id, Shift.starts_at, Shift.ends_at).where(
                Shift.id.in_(sorted({p.part_id for p in plan.shifts}))  # type: ignore[union-attr]
            )
        )
    }
    for proposal in plan.lines:
        quantity = Decimal(str(proposal.quantity or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
        left = room.get(proposal.candidate_id, Decimal(0))
        if quantity > left and quantity - left <= CENT:  # the plan's rounding, not another round's units
            quantity = left
        if (
            proposal.need_id not in open_needs
            or quantity <= 0
            or (proposal.part_id, proposal.candidate_id) in taken
            or quantity > left  # another street's round promised these units first
            or (organization_of.get(proposal.candidate_id, 0), proposal.need_id) not in served
        ):
            written.skipped += 1
            continue
        room[proposal.candidate_id] = left - quantity
        match = _match(
            proposal,
            author,
            round_id,
            kind=MatchKind.OFFER_LINE,
            resource_line_id=proposal.part_id,
            offer_id=proposal.candidate_id,
            organization_id=organization_of.get(proposal.candidate_id),
            quantity=quantity,
        )
        db.add(match)
        db.flush()
        _audit(db, match, author)
        written.lines += 1
        written.match_ids.append(match.id or 0)
    for proposal in plan.shifts:
        slot = times.get(proposal.part_id)
        held = slots[proposal.candidate_id]
        if proposal.need_id not in open_needs or slot is None or _clashes(slot, held):
            # cancelled since the plan, or another round proposed them a shift at that time first
            written.skipped += 1
            continue
        try:
            with db.begin_nested():
                match = _match(
                    proposal,
                    author,
                    round_id,
                    kind=MatchKind.VOLUNTEER_SHIFT,
                    shift_id=proposal.part_id,
                    volunteer_id=proposal.candidate_id,
                )
                db.add(match)
                db.flush()
                db.add(
                    ShiftSignup(
                        shift_id=proposal.part_id,
                        volunteer_id=proposal.candidate_id,
                        match_id=match.id,
                        status=SignupStatus.PENDING,
                    )
                )
                db.flush()
        except IntegrityError:
            written.skipped += 1
            continue
        held.append(slot)
        _audit(db, match, author)
        written.shifts += 1
        written.match_ids.append(match.id or 0)
    matches_services.notify_candidates(db, written.match_ids)
    return written
