"""A round's plan written as proposals: one Match per pairing, recording its round, nothing approved.

Each proposal is an offer to its candidate (marketplace/matches/round_proposals.py): the volunteer, or
the users of the partner organization whose offer was chosen, are notified and accept or decline it;
admins approve it only once it was accepted. A volunteer proposal also gets a pending ShiftSignup, the
placeholder that keeps the pair unique (review.py confirms it on approval; the volunteer's own lists
leave it out until they accept). Each volunteer proposal is written in a savepoint: if a sign-up or
match for the same pair landed since the plan was made, the partial unique indexes refuse it and only
that proposal is skipped.
"""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.audit.service import record, snapshot
from marketplace.matches import round_proposals
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.rounds.inputs import live_line_pairs
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from matching.round import Proposal, RoundPlan

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


def write(
    db: Session, plan: RoundPlan, author: Author, organization_of: dict[int, int], round_id: int | None = None
) -> Written:
    """Add the plan's proposals in the caller's transaction and notify their candidates; returns how many
    went in and how many not."""
    written = Written()
    taken = live_line_pairs(db)  # again, now: a claim may have landed while the round was planning
    for proposal in plan.lines:
        quantity = Decimal(str(proposal.quantity or 0)).quantize(CENT, rounding=ROUND_HALF_UP)
        if quantity <= 0 or (proposal.part_id, proposal.candidate_id) in taken:
            written.skipped += 1
            continue
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
        _audit(db, match, author)
        written.shifts += 1
        written.match_ids.append(match.id or 0)
    round_proposals.notify_candidates(db, written.match_ids)
    return written
