"""The admins' review queue: decide each proposed match once, with conditional updates.

Approving an offer-line claim takes the quantity from the offer and from the resource line in the same
transaction; if either has too little left the approval is refused with 409 "not enough left" and the
claim STAYS PROPOSED (nothing changed), so an admin can still reject it with a reason or approve it
later if quantity comes back. Approving a volunteer's pending sign-up takes a slot (409 "full").
Each decision runs in its own savepoint so a bulk approval can approve some and report the others.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.exceptions import NotFoundException
from litestar.status_codes import HTTP_409_CONFLICT
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from marketplace.accounts.models import Role, User
from marketplace.api_errors import STATUS_CODES
from marketplace.audit.services import record, snapshot
from marketplace.db.types import utcnow
from marketplace.i18n import N_, gettext
from marketplace.matches import compatibility, openings, refusals, round_proposals, street_scope
from marketplace.matches import field_problems as problems
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import (
    Conflict,
    field_problem,
    refresh_need_status,
    set_match_status,
    take_from_line,
    take_slot,
)
from marketplace.matches.signups import lock_volunteer, overlapping_confirmed
from marketplace.matches.street_scope import scoped_match
from marketplace.needs.models import Shift
from marketplace.notifications.services import match_payload, send
from marketplace.offers.services import hold_offer, reserve_from_offer
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

AUDIT_FIELDS = ["id", "need_id", "kind", "status", "quantity", "decision_reason", "decided_by_id"]
# Lost a lock race with another decision (PostgreSQL broke a deadlock): the item's ``failed`` reason and code.
BUSY = N_("Another admin was deciding related items at the same moment; try this one again.")
# A bulk item that does not exist (or is another street's): said, not the NotFoundException's English.
GONE = N_("This item no longer exists.")
# The most items one bulk decision takes on (each is its own savepoint in one transaction).
BULK_LIMIT = 500


@dataclass
class BulkResult:
    approved: list[int] = field(default_factory=list)
    rejected: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)
    # The failed ids whose reason is already a sentence in the reader's language (refusals.py).
    said: set[int] = field(default_factory=set)
    # The failed ids' stable refusal codes (the API's extra.code of a single decision), where there is one.
    codes: dict[int, str] = field(default_factory=dict)

    def code_of(self, match_id: int) -> str | None:
        return self.codes.get(match_id)


def approve(db: Session, actor: CurrentUser, match_id: int) -> Match:
    """Approve a proposed match once; 409 if it was decided already or what it needs is gone."""
    row = scoped_match(db, actor, match_id)  # another street's match looks missing
    before = snapshot(row, AUDIT_FIELDS)
    with db.begin_nested():
        _approve_in_savepoint(db, actor, row)
    db.refresh(row)
    refresh_need_status(db, row.need_id)
    record(db, "match.approve", object_type="match", object_id=row.id, before=before, after=snapshot(row, AUDIT_FIELDS))
    _notify_approved(db, row)
    return row


def _approve_in_savepoint(db: Session, actor: CurrentUser, row: Match) -> None:
    # A round's proposal is an offer to its candidate: it is approved only after they accepted it.
    if round_proposals.answer_state(row) == "awaiting":
        volunteer = row.kind is MatchKind.VOLUNTEER_SHIFT
        sentence = refusals.AWAITING_VOLUNTEER if volunteer else refusals.AWAITING_PARTNER
        raise refusals.refusal("awaiting_answer", sentence, candidate="volunteer" if volunteer else "partner")
    # First, as a sign-up does: the volunteer's lock, so no other confirmation of them runs meanwhile.
    volunteer_shift = row.kind is MatchKind.VOLUNTEER_SHIFT
    if volunteer_shift and not lock_volunteer(db, row.volunteer_id or 0):
        raise refusals.refusal("volunteer_gone", refusals.VOLUNTEER_GONE)
    # An offer's row before the match's, in the order a withdrawal takes them (offers.lifecycle.enter_offer).
    if row.kind is MatchKind.OFFER_LINE and row.offer_id is not None:
        hold_offer(db, row.offer_id)
    # The status flip comes first: of two admins approving at once, only one gets past it.
    if not set_match_status(
        db,
        row.id or 0,
        expected=(MatchStatus.PROPOSED,),
        status=MatchStatus.APPROVED,
        decided_by_id=actor.id,
        decided_at=utcnow(),
    ):
        raise _decided_already(db, row)
    if row.organization_id is not None:
        organization = db.get(Organization, row.organization_id)
        if organization is None or organization.status is not OrganizationStatus.APPROVED:
            raise refusals.refusal(
                "organization_not_approved",
                refusals.ORGANIZATION_NOT_APPROVED,
                organization_id=row.organization_id,
                status=None if organization is None else organization.status.value,
            )
        # It may have given the street up since it claimed (organizations.served_streets refuses that while
        # its claims wait there; this is the last word, for claims of older data and whole-deployment rounds).
        if not street_scope.serves_need_held(db, row.organization_id, row.need_id):
            raise refusals.refusal(
                "street_not_served",
                refusals.STREET_NOT_SERVED,
                organization_id=row.organization_id,
                need_id=row.need_id,
            )
    # A line closed as enough, a cancelled shift, a project claimed whole: the same rule as new claims.
    refusal = openings.part_refusal(db, row)
    if refusal is not None:
        raise refusal
    if row.kind is MatchKind.OFFER_LINE:
        # An offer that cannot serve the line is never reserved for it (a claim from before the rule, say).
        incompatible = compatibility.match_problem(db, row)
        if incompatible is not None:
            # Why, as a code (the verdict's: kind, unit, measure, item...) and in the reader's words.
            raise refusals.refusal(
                "offer_cannot_serve",
                refusals.CANNOT_SERVE,
                offer_id=row.offer_id,
                reason_code=incompatible.code,
                reason=compatibility.reason(incompatible),
            )
        quantity = row.quantity or 0
        if not reserve_from_offer(db, row.offer_id or 0, quantity):
            raise refusals.refusal("not_enough_left", refusals.NOT_ENOUGH_LEFT, short_of="offer", offer_id=row.offer_id)
        if not take_from_line(db, row.resource_line_id or 0, quantity):
            raise refusals.refusal(
                "not_enough_left", refusals.NOT_ENOUGH_LEFT, short_of="line", resource_line_id=row.resource_line_id
            )
    elif row.kind is MatchKind.VOLUNTEER_SHIFT:
        shift = db.get(Shift, row.shift_id)
        if shift is not None:
            other = overlapping_confirmed(db, row.volunteer_id or 0, shift.starts_at, shift.ends_at, shift.id or 0)
            if other is not None:
                raise refusals.shift_refusal("shift_overlap", refusals.APPROVAL_OVERLAP, other.title, other.id)
        if not take_slot(db, row.shift_id or 0):
            raise refusals.refusal("shift_full", refusals.SHIFT_FULL, shift_id=row.shift_id)
        _set_signup(db, row.id or 0, SignupStatus.PENDING, SignupStatus.CONFIRMED)


def _decided_already(db: Session, row: Match) -> Conflict:
    """The 409 when another decision got there first, naming the status the match has now."""
    db.refresh(row)  # the status someone else set, not the one read before
    return refusals.in_status("match_decided", refusals.MATCH_DECIDED, row.status)


def _set_signup(db: Session, match_id: int, expected: SignupStatus, status: SignupStatus) -> None:
    table = ShiftSignup.__table__  # type: ignore[attr-defined]
    db.execute(
        table.update()
        .where(table.c.match_id == match_id, table.c.status == expected.value)
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    )


def reject(db: Session, actor: CurrentUser, match_id: int, reason: str | None) -> Match:
    reason = _rejection_reason(reason)
    row = scoped_match(db, actor, match_id)  # another street's match looks missing
    before = snapshot(row, AUDIT_FIELDS)
    # A round's proposal its candidate never answered was the street's offer, not their request.
    withdrawn = round_proposals.answer_state(row) == "awaiting"
    if not set_match_status(
        db,
        match_id,
        expected=(MatchStatus.PROPOSED,),
        status=MatchStatus.REJECTED,
        decision_reason=reason,
        decided_by_id=actor.id,
        decided_at=utcnow(),
    ):
        raise _decided_already(db, row)
    if row.kind is MatchKind.VOLUNTEER_SHIFT:
        _set_signup(db, match_id, SignupStatus.PENDING, SignupStatus.CANCELLED)
    db.refresh(row)
    record(db, "match.reject", object_type="match", object_id=row.id, before=before, after=snapshot(row, AUDIT_FIELDS))
    for user_id in people_of(db, row):
        send(
            db,
            user_id,
            "proposal_withdrawn" if withdrawn else "match_decided",
            match_payload(db, row),
            subject_type="match",
            subject_id=row.id,
        )
    return row


def bulk_approve(db: Session, actor: CurrentUser, ids: list[int]) -> BulkResult:
    """Approve each id on its own (a savepoint each); the result says which were approved and why others were not."""
    result = BulkResult()
    _each(db, ids, lambda match_id: approve(db, actor, match_id), result.approved, result)
    return result


def bulk_reject(db: Session, actor: CurrentUser, ids: list[int], reason: str | None) -> BulkResult:
    """Reject each id with the one reason, each on its own (a savepoint each), told and audited as a single
    rejection is; the result says which were rejected and why others were not (decided already, gone)."""
    reason = _rejection_reason(reason)
    result = BulkResult()
    _each(db, ids, lambda match_id: reject(db, actor, match_id, reason), result.rejected, result)
    return result


def _each(
    db: Session,
    ids: list[int],
    decide: Callable[[int], Match],
    done: list[int],
    result: BulkResult,
) -> None:
    """Decide each id in lock order in a savepoint of its own: one refusal or lost lock race undoes only it."""
    for match_id in _in_lock_order(ids):
        try:
            with db.begin_nested():
                decide(match_id)
        except NotFoundException:
            _failed_said(result, match_id, "match_not_found", GONE)
        except Conflict as problem:
            result.failed.append((match_id, str(problem.detail)))
            if problem.said:
                result.said.add(match_id)
            extra = problem.extra
            # A refusal raised without a code has the one a single decision's answer gives it (api_errors).
            code = extra.get("code") if isinstance(extra, dict) else None
            result.codes[match_id] = str(code or STATUS_CODES[HTTP_409_CONFLICT])
        except DBAPIError as error:
            if not _lost_a_lock_race(error):
                raise
            _failed_said(result, match_id, "busy", BUSY)
        else:
            done.append(match_id)


def _failed_said(result: BulkResult, match_id: int, code: str, sentence: str) -> None:
    """An item not decided for a reason of the bulk itself: said in the reader's language, with its code."""
    result.failed.append((match_id, gettext(sentence)))
    result.said.add(match_id)
    result.codes[match_id] = code


def _rejection_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise field_problem("reason", problems.REJECT_REASON_REQUIRED, "required", {"n": "500"})
    if len(reason) > 500:
        raise field_problem("reason", problems.REASON_TOO_LONG, "too_long", {"n": "500"}, max=500)
    return reason


def _in_lock_order(ids: list[int]) -> list[int]:
    """Each id once, ascending: two admins deciding overlapping sets lock the matches in the same order,
    so the second waits for the first instead of deadlocking with it (PostgreSQL)."""
    return sorted(set(ids))


def _lost_a_lock_race(error: DBAPIError) -> bool:
    """PostgreSQL broke a deadlock by failing this statement (two bulk decisions locked the same offers or
    shifts in opposite orders): the savepoint is rolled back, its locks freed, and the item reported."""
    return getattr(error.orig, "sqlstate", None) in ("40P01", "40001")


def people_of(db: Session, row: Match) -> list[int]:
    """Who hears about a decision: the volunteer, or the organization's users."""
    if row.volunteer_id is not None:
        profile = db.get(VolunteerProfile, row.volunteer_id)
        return [profile.user_id] if profile is not None else []
    if row.organization_id is not None:
        return [
            user_id
            for user_id in db.exec(
                select(User.id).where(
                    User.organization_id == row.organization_id,
                    User.role == Role.PARTNER,
                    col(User.is_active).is_(True),
                )
            ).all()
            if user_id is not None
        ]
    return []


def _notify_approved(db: Session, row: Match) -> None:
    kind = "signup_confirmed" if row.kind is MatchKind.VOLUNTEER_SHIFT else "claim_approved"
    # One notification per approval (it names the project, the line or shift, and the next step).
    payload: dict[str, Any] = match_payload(db, row)
    for user_id in people_of(db, row):
        send(db, user_id, kind, payload, subject_type="match", subject_id=row.id)
