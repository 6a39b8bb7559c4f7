"""A matching round's proposals are offers to their candidates, not the candidates' own acts.

A round writes one proposed Match per pairing (``marketplace.rounds.proposals``); a volunteer's proposal
also holds the pending ShiftSignup that keeps the pair unique (its partial unique index). Until the
candidate answers, the proposal is theirs to accept or decline: the volunteer, or the users of the
partner organization whose offer was proposed. Accepting sets ``match.accepted_at`` once (a conditional
UPDATE); declining cancels the match and its pending sign-up, with the reason. An admin approves a
round proposal only after it was accepted (review.py); rejecting it stays possible at any time.

Proposals written before this rule (``round_id`` NULL, ``accepted_at`` NULL) wait for an answer the same
way: the rule reads only ``source``, ``status`` and ``accepted_at``. Round matches approved before it
(``accepted_at`` NULL but approved) stay what they became: the volunteer's and partner's own items.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from litestar.exceptions import NotFoundException
from sqlmodel import Session, col, select

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record, snapshot
from marketplace.db.types import utcnow
from marketplace.matches import field_problems as problems
from marketplace.matches import refusals
from marketplace.matches.models import PROPOSAL_SOURCES, Match, MatchKind, MatchStatus
from marketplace.matches.services import OPEN_STATUSES, Conflict, field_problem
from marketplace.matches.street_scope import require_serves_need
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.notifications.services import admins_of_need, send
from marketplace.offers.models import Offer
from marketplace.organizations.services import require_approved_organization
from marketplace.security.identity import CurrentUser
from marketplace.validation import has_control_characters
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

AUDIT_FIELDS = ["id", "need_id", "kind", "status", "round_id", "accepted_at", "decision_reason"]
MAX_REASON = 500
OFFERED = "proposal_offered"  # notification to the candidate
ANSWERED = "proposal_answered"  # notification to the admins

_match = Match.__table__  # type: ignore[attr-defined]
_signup = ShiftSignup.__table__  # type: ignore[attr-defined]

# A round proposal nobody has answered yet.
AWAITING = sa.and_(
    col(Match.source).in_(PROPOSAL_SOURCES),
    col(Match.status) == MatchStatus.PROPOSED,
    col(Match.accepted_at).is_(None),
)
# A round proposal the candidate never took up (waiting, declined, or rejected before an answer): it never
# was their claim or sign-up, so their lists of claims and sign-ups leave it out.
NEVER_ACCEPTED = sa.and_(
    col(Match.source).in_(PROPOSAL_SOURCES),
    col(Match.accepted_at).is_(None),
    col(Match.status).in_([MatchStatus.PROPOSED, MatchStatus.REJECTED, MatchStatus.CANCELLED]),
)


def never_accepted(match: Match) -> bool:
    """The Python twin of NEVER_ACCEPTED, for a row already loaded."""
    return (
        match.source in PROPOSAL_SOURCES
        and match.accepted_at is None
        and match.status in (MatchStatus.PROPOSED, MatchStatus.REJECTED, MatchStatus.CANCELLED)
    )


def not_an_unaccepted_proposal_signup() -> sa.ColumnElement[bool]:
    """For queries over ShiftSignup: the sign-up is not the placeholder of a proposal never accepted."""
    return ~sa.exists().where(col(Match.id) == ShiftSignup.match_id, NEVER_ACCEPTED)


def answer_state(match: Match) -> str | None:
    """awaiting / accepted / declined for a round proposal; None for anything else (claims, sign-ups,
    and round matches decided before candidates were asked)."""
    if match.source not in PROPOSAL_SOURCES:
        return None
    if match.accepted_at is not None:
        return "accepted"
    if match.status is MatchStatus.PROPOSED:
        return "awaiting"
    if match.status is MatchStatus.CANCELLED:
        return "declined"
    return None


def awaiting_match_ids(db: Session, match_ids: list[int]) -> set[int]:
    """Which of these matches are round proposals still waiting for the candidate's answer (one query)."""
    if not match_ids:
        return set()
    found = db.execute(sa.select(Match.id).where(col(Match.id).in_(sorted(set(match_ids))), AWAITING)).scalars()
    return {int(match_id) for match_id in found}


# --- what the candidate sees ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalRow:
    """One proposal with what its card shows; no beneficiary data."""

    match: Match
    need: Need
    shift: Shift | None
    line: ResourceLine | None
    offer: Offer | None

    @property
    def starts_at(self) -> datetime | None:
        return self.shift.starts_at if self.shift else None


def _profile_id(db: Session, actor: CurrentUser) -> int | None:
    return db.exec(select(VolunteerProfile.id).where(VolunteerProfile.user_id == actor.id)).first()


def _candidate_condition(db: Session, actor: CurrentUser) -> sa.ColumnElement[bool] | None:
    """Which matches name the actor as their candidate: their volunteer profile, or their organization."""
    if actor.role == Role.VOLUNTEER:
        profile_id = _profile_id(db, actor)
        return None if profile_id is None else col(Match.volunteer_id) == profile_id
    if actor.role == Role.PARTNER and actor.organization_id is not None:
        return sa.and_(
            col(Match.organization_id) == actor.organization_id, col(Match.kind) != MatchKind.VOLUNTEER_SHIFT
        )
    return None


def proposals_for(db: Session, actor: CurrentUser) -> list[ProposalRow]:
    """The round proposals waiting for the actor's answer, soonest shift (then oldest) first."""
    mine = _candidate_condition(db, actor)
    if mine is None:
        return []
    rows = db.execute(
        sa.select(Match, Need, Shift, ResourceLine, Offer)
        .join(Need, col(Need.id) == Match.need_id)
        .outerjoin(Shift, col(Shift.id) == Match.shift_id)
        .outerjoin(ResourceLine, col(ResourceLine.id) == Match.resource_line_id)
        .outerjoin(Offer, col(Offer.id) == Match.offer_id)
        .where(mine, AWAITING)
        .order_by(col(Shift.starts_at), col(Match.created_at), col(Match.id))
    ).all()
    return [ProposalRow(match, need, shift, line, offer) for match, need, shift, line, offer in rows]


def own_proposal(db: Session, actor: CurrentUser, match_id: int) -> Match:
    """The round proposal if the actor is its candidate; 404 otherwise (someone else's does not exist)."""
    row = db.get(Match, match_id)
    mine = _candidate_condition(db, actor)
    if row is None or mine is None or row.source not in PROPOSAL_SOURCES:
        raise NotFoundException(f"No proposal {match_id}")
    found = db.execute(sa.select(Match.id).where(col(Match.id) == match_id, mine)).first()
    if found is None:
        raise NotFoundException(f"No proposal {match_id}")
    return row


# --- answering --------------------------------------------------------------------------------------------


def _refusal(row: Match) -> Conflict:
    """Why an answer comes too late, from the match as it is now."""
    if row.accepted_at is not None:
        return refusals.refusal("proposal_accepted", refusals.PROPOSAL_ACCEPTED, status=row.status.value)
    if row.status is MatchStatus.CANCELLED:
        return refusals.refusal("proposal_declined", refusals.PROPOSAL_DECLINED, status=row.status.value)
    return refusals.in_status("proposal_decided", refusals.PROPOSAL_DECIDED, row.status)


def _answerable(db: Session, row: Match) -> None:
    """409 when the proposal can no longer be taken up: the project closed or the shift is over."""
    need = db.get(Need, row.need_id)
    if need is None or need.status not in OPEN_STATUSES:
        raise refusals.refusal(
            "project_not_open", refusals.PROJECT_NOT_OPEN, status=None if need is None else need.status.value
        )
    if row.organization_id is not None and row.kind is not MatchKind.VOLUNTEER_SHIFT:
        require_serves_need(db, row.organization_id, row.need_id)  # 403 naming the street
    if row.shift_id is not None:
        shift = db.get(Shift, row.shift_id)
        if shift is None or shift.ends_at <= utcnow():
            raise refusals.refusal("shift_over", refusals.SHIFT_OVER)


def _answer_update(match_id: int, **values: Any) -> sa.Update:
    """The conditional UPDATE every answer is: only from 'waiting', so only one answer ever lands."""
    return (
        sa.update(_match)
        .where(
            _match.c.id == match_id,
            _match.c.source.in_([source.value for source in PROPOSAL_SOURCES]),
            _match.c.status == MatchStatus.PROPOSED.value,
            _match.c.accepted_at.is_(None),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def accept(db: Session, actor: CurrentUser, match_id: int) -> Match:
    """Take up the proposal once; it then waits for an admin's approval. 409 after a decline or a decision.

    A partner accepts only while its organization is approved (403 with its standing, as for a claim); declining
    stays open to a suspended one, which only lets the line go."""
    row = own_proposal(db, actor, match_id)
    if row.kind is not MatchKind.VOLUNTEER_SHIFT:
        require_approved_organization(db, actor)
    before = snapshot(row, AUDIT_FIELDS)
    if answer_state(row) != "awaiting":
        raise _refusal(row)
    _answerable(db, row)
    if db.execute(_answer_update(match_id, accepted_at=utcnow())).rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(row)
        raise _refusal(row)
    db.refresh(row)
    record(
        db, "proposal.accept", object_type="match", object_id=row.id, before=before, after=snapshot(row, AUDIT_FIELDS)
    )
    _tell_admins(db, row, "accepted", actor)
    return row


def clean_reason(reason: str | None) -> str | None:
    """The optional reason for declining, trimmed; 400 naming ``reason`` when it cannot be stored."""
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise field_problem("reason", problems.REASON_TOO_LONG, "too_long", {"n": str(MAX_REASON)}, max=MAX_REASON)
    if has_control_characters(reason):  # the one rule of every text field, direction overrides included
        raise field_problem("reason", problems.CONTROL_CHARACTERS, "control_characters")
    return reason or None


def decline(db: Session, actor: CurrentUser, match_id: int, reason: str | None = None) -> Match:
    """Say no once: the match is cancelled with the reason and its pending sign-up freed. 409 when answered."""
    reason = clean_reason(reason)
    row = own_proposal(db, actor, match_id)
    before = snapshot(row, AUDIT_FIELDS)
    if answer_state(row) != "awaiting":
        raise _refusal(row)
    who = "volunteer" if row.kind is MatchKind.VOLUNTEER_SHIFT else "partner"
    stored = reason or f"declined by the {who}"
    done = db.execute(
        _answer_update(
            match_id, status=MatchStatus.CANCELLED.value, decision_reason=stored[:MAX_REASON], decided_at=utcnow()
        )
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(row)
        raise _refusal(row)
    # The placeholder sign-up goes with it: the pair is free again and the volunteer may sign up later.
    db.execute(
        sa.update(_signup)
        .where(_signup.c.match_id == match_id, _signup.c.status == SignupStatus.PENDING.value)
        .values(status=SignupStatus.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    db.refresh(row)
    record(
        db, "proposal.decline", object_type="match", object_id=row.id, before=before, after=snapshot(row, AUDIT_FIELDS)
    )
    _tell_admins(db, row, "declined", actor, reason)
    return row


# --- notifications ----------------------------------------------------------------------------------------


def _admins(db: Session, need_id: int) -> list[int]:
    """The admins of the need's street and the city admins (notifications.recipients)."""
    return admins_of_need(db, need_id)


def _partner_users(db: Session, organization_ids: set[int]) -> dict[int, list[int]]:
    if not organization_ids:
        return {}
    rows = db.exec(
        select(User.organization_id, User.id).where(
            col(User.organization_id).in_(sorted(organization_ids)),
            User.role == Role.PARTNER,
            col(User.is_active).is_(True),
        )
    ).all()
    found: dict[int, list[int]] = {}
    for organization_id, user_id in rows:
        if organization_id is not None and user_id is not None:
            found.setdefault(organization_id, []).append(user_id)
    return found


def _tell_admins(db: Session, row: Match, answer: str, actor: CurrentUser, reason: str | None = None) -> None:
    """The need's street's admins and the city admins hear of an answer; one digest a day per need."""
    need = db.get(Need, row.need_id)
    if need is None:
        return
    shift = db.get(Shift, row.shift_id) if row.shift_id else None
    line = db.get(ResourceLine, row.resource_line_id) if row.resource_line_id else None
    offer = db.get(Offer, row.offer_id) if row.offer_id else None
    payload = offered_payload(row, need, shift, line, offer) | {
        "answer": answer,
        "who": actor.display_name or actor.username,
    }
    if reason:
        payload["reason"] = reason
    for user_id in _admins(db, row.need_id):
        send(
            db,
            user_id,
            ANSWERED,
            payload,
            echo=False,
            subject_type="match",
            subject_id=row.id,
            digest_key=f"{ANSWERED}:{'round' if row.round_id else 'need'}:{row.round_id or row.need_id}:{answer}",
        )


def notify_candidates(db: Session, match_ids: list[int]) -> int:
    """Tell each candidate what the street proposes to them and that they may accept or decline; how many sent.

    One notification per proposal and person, grouped into a digest per round (a partner may get dozens).
    """
    if not match_ids:
        return 0
    rows = db.execute(
        sa.select(Match, Need, Shift, ResourceLine, Offer, VolunteerProfile.user_id)
        .join(Need, col(Need.id) == Match.need_id)
        .outerjoin(Shift, col(Shift.id) == Match.shift_id)
        .outerjoin(ResourceLine, col(ResourceLine.id) == Match.resource_line_id)
        .outerjoin(Offer, col(Offer.id) == Match.offer_id)
        .outerjoin(VolunteerProfile, col(VolunteerProfile.id) == Match.volunteer_id)
        .where(col(Match.id).in_(match_ids))
        .order_by(col(Match.id))
    ).all()
    partners = _partner_users(db, {m.organization_id for m, *_ in rows if m.organization_id is not None})
    sent = 0
    for match, need, shift, line, offer, volunteer_user_id in rows:
        payload = offered_payload(match, need, shift, line, offer)
        people = [volunteer_user_id] if volunteer_user_id is not None else partners.get(match.organization_id or 0, [])
        for user_id in people:
            send(
                db,
                user_id,
                OFFERED,
                payload,
                echo=False,
                subject_type="match",
                subject_id=match.id,
                digest_key=f"{OFFERED}:round:{match.round_id or 0}",
            )
            sent += 1
    return sent


def offered_payload(
    match: Match, need: Need, shift: Shift | None, line: ResourceLine | None, offer: Offer | None
) -> dict[str, Any]:
    """What the candidate's notification says: the project, and the shift (when) or the line (how much)."""
    payload: dict[str, Any] = {
        "match_id": match.id,
        "need_id": need.id,
        "need_title": need.title,
        "round_id": match.round_id,
        "match_kind": match.kind.value,
    }
    if shift is not None:
        payload |= {
            "shift": shift.title,
            "starts_at": shift.starts_at.isoformat(),
            "ends_at": shift.ends_at.isoformat(),
        }
    if line is not None:
        payload |= {
            "line": line.description,
            "line_kind": line.kind.value,
            "quantity": format(match.quantity.normalize(), "f") if match.quantity is not None else None,
            "unit": line.unit,
        }
    if offer is not None:
        payload["offer"] = offer.title
    return payload
