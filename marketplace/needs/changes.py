"""Changing a published need: a resource line's quantity, a line closed as enough, a shift moved, resized or
cancelled. Staff in the need's scope and admins make these changes from the need page and the API.

Every change is checked against what others already hold, then written with conditional UPDATEs, and
counts as a new version of the need (optimistic locking: the caller sends the version it saw, 409 when
someone saved first). Those affected hear what changed and what happens to their item, the audit log
records before and after, and the need's status follows (marketplace.matches.services.refresh_need_status).

- Quantity: never below what approved and delivered claims hold. ``still_needed`` moves by the change
  (never below 0); proposed claims larger than what is still needed are reduced to it, or released
  (rejected with the reason) when nothing is still needed.
- Closed as enough (部分办结): nothing more is needed or claimed; proposed claims are released; approved
  claims deliver what they promised.
- A shift moves only before it starts (to a window that ends in the future); its confirmed volunteers keep
  their places unless the new time overlaps another shift they are confirmed for (that place is released).
  Slots never go below the confirmed volunteers.
- A cancelled shift takes no sign-ups; its sign-ups and their matches are cancelled and its places freed.
- A published need nobody holds a part of yet keeps asking for something (services.asking, the rule publishing
  follows): closing its last open line, lowering it to nothing still needed or cancelling its last open shift
  is refused whole (409 ``nothing_asked``). Once a claim or sign-up is approved the need is matched when it
  asks nothing more, and goes on to completion.

Locks are taken in the order the claim and sign-up paths use (volunteer, match, line or shift, need), so a
change racing an approval waits for it instead of deadlocking; the need's version is bumped last.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from marketplace.accounts.models import Role, User
from marketplace.audit.services import record
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import (
    HELD,
    line_now_needs,
    lock_volunteer,
    overlapping_confirmed,
    refresh_need_status,
    set_match_status,
    shift_moved_onto,
)
from marketplace.needs import refusals, services
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.notifications.services import send
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

# A need's lines and shifts may change until it is verified (or rejected, cancelled).
CHANGEABLE: tuple[NeedStatus, ...] = (
    NeedStatus.SUBMITTED,
    NeedStatus.UNDER_REVIEW,
    NeedStatus.PUBLISHED,
    NeedStatus.PARTIALLY_MATCHED,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.COMPLETED,
)
MAX_SHIFT_LENGTH = timedelta(hours=24)
# Sign-ups a shift change concerns: those that hold a place or wait for one.
LIVE_SIGNUPS = (SignupStatus.PENDING, SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN)

_line = ResourceLine.__table__  # type: ignore[attr-defined]
_shift = Shift.__table__  # type: ignore[attr-defined]
_need = Need.__table__  # type: ignore[attr-defined]
_signup = ShiftSignup.__table__  # type: ignore[attr-defined]
_match = Match.__table__  # type: ignore[attr-defined]


class ChangeRefused(refusals.Said, Exception):
    """The change cannot be made: ``field`` names what to correct, ``code`` says why, ``message`` says it in the
    reader's language (needs.refusals), the same on the page and in the API.

    400 for a value to correct, 409 for the state of the data (closed, cancelled, started), 404 for no such
    line or shift in the need.
    """

    def __init__(self, field: str, code: str, sentence: str, *, status_code: int = 400, **values: Any) -> None:
        super().__init__(f"{field}: {sentence}")
        self._said(field, code, sentence, values)
        self.status_code = status_code


class StaleVersion(services.VersionConflict):
    """Someone saved the need first (the API answers 409 with the current need, as for an edit).

    ``status_code`` tells the error log that this is the client's business, not a server error.
    """

    status_code = 409


@dataclass
class ChangeResult:
    """What a change did: the need after it, and the claims and sign-ups it adjusted."""

    need: Need
    claims_reduced: list[int] = field(default_factory=list)
    claims_released: list[int] = field(default_factory=list)
    signups_released: list[int] = field(default_factory=list)
    notified: list[int] = field(default_factory=list)


# --- resource lines ------------------------------------------------------------------------------------


def held_on_line(db: Session, line_id: int) -> Decimal:
    """What approved and delivered claims hold on the line (a new quantity may not go below it)."""
    total = db.execute(
        sa.select(sa.func.coalesce(sa.func.sum(_match.c.quantity), 0)).where(
            _match.c.resource_line_id == line_id, _match.c.status.in_([s.value for s in HELD])
        )
    ).scalar_one()
    return Decimal(total)


def change_line_quantity(
    db: Session,
    actor: CurrentUser,
    need_id: int,
    line_id: int,
    *,
    version: int,
    quantity: Decimal,
    reason: str | None = None,
) -> ChangeResult:
    """Set the line's quantity; what is still needed moves by the difference (never below 0)."""
    need = _changeable(db, actor, need_id, version)
    line = _line_of(db, need_id, line_id)
    if line.closed_at is not None:
        raise ChangeRefused("quantity", "line_closed", refusals.LINE_CLOSED, status_code=409, line_id=line_id)
    if reason is not None and len(reason) > 500:
        raise ChangeRefused("reason", "reason_too_long", refusals.REASON_REQUIRED)
    if quantity == line.quantity:
        raise ChangeRefused("quantity", "no_change", refusals.NO_CHANGE)
    held = held_on_line(db, line_id)
    if quantity < held:
        raise ChangeRefused(
            "quantity",
            "below_held",
            refusals.BELOW_HELD,
            held=held,
            unit=refusals.Unit(line.unit, held),
        )
    whole = _whole_claim(db, need_id)
    if quantity > line.quantity and whole is not None and whole.status is MatchStatus.FULFILLED:
        raise ChangeRefused(
            "quantity",
            "whole_delivered",
            refusals.WHOLE_DELIVERED,
            status_code=409,
        )
    before = {"quantity": _num(line.quantity), "still_needed": _num(line.still_needed)}
    still = max(Decimal(0), line.still_needed + quantity - line.quantity)
    why = reason or line_now_needs(_num(still), line.unit)
    result = ChangeResult(need)
    outcomes = _fit_proposals(db, actor, line_id, still, why, result)
    # The difference is applied to the row as it is now (an approval may have taken from it meanwhile).
    moved = db.execute(
        _line.update()
        .where(_line.c.id == line_id, _line.c.closed_at.is_(None))
        .values(
            quantity=quantity,
            still_needed=sa.case(
                (
                    _line.c.still_needed + quantity - _line.c.quantity > 0,
                    _line.c.still_needed + quantity - _line.c.quantity,
                ),
                else_=0,
            ),
        )
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise ChangeRefused("quantity", "line_closed", refusals.LINE_CLOSED, status_code=409, line_id=line_id)
    db.refresh(line)
    after = {"quantity": _num(line.quantity), "still_needed": _num(line.still_needed)}
    result.need = _next_version(db, need_id, version, takes_away="quantity" if line.still_needed == 0 else None)
    record(
        db,
        "need.line.change",
        object_type="resource_line",
        object_id=line_id,
        before=before,
        after=after | _adjusted(result) | {"need_id": need_id, "reason": reason},
        actor=actor,
    )
    payload = _line_payload(result.need, line) | {"before": before["quantity"], "after": after["quantity"]}
    _tell_claimants(db, line, "need_line_changed", payload | {"reason": reason}, outcomes, result)
    return result


def close_line(
    db: Session, actor: CurrentUser, need_id: int, line_id: int, *, version: int, reason: str
) -> ChangeResult:
    """Close the line as enough (部分办结): it needs nothing more and takes no claims; proposals are released."""
    reason = _required_reason(reason)
    need = _changeable(db, actor, need_id, version)
    line = _line_of(db, need_id, line_id)
    if line.closed_at is not None:
        raise ChangeRefused("reason", "line_closed", refusals.LINE_CLOSED_ALREADY, status_code=409, line_id=line_id)
    before = {"still_needed": _num(line.still_needed), "closed_at": None}
    result = ChangeResult(need)
    outcomes = _fit_proposals(db, actor, line_id, Decimal(0), reason, result)
    closed = db.execute(
        _line.update()
        .where(_line.c.id == line_id, _line.c.closed_at.is_(None))
        .values(closed_at=utcnow(), closed_reason=reason, still_needed=0)
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:  # type: ignore[attr-defined]
        raise ChangeRefused("reason", "line_closed", refusals.LINE_CLOSED_ALREADY, status_code=409, line_id=line_id)
    db.refresh(line)
    result.need = _next_version(db, need_id, version, takes_away="reason")
    after = {"still_needed": "0", "closed_at": line.closed_at.isoformat() if line.closed_at else None}
    record(
        db,
        "need.line.close",
        object_type="resource_line",
        object_id=line_id,
        before=before,
        after=after | {"closed_reason": reason, "need_id": need_id} | _adjusted(result),
        actor=actor,
    )
    _tell_claimants(
        db, line, "need_line_closed", _line_payload(result.need, line) | {"reason": reason}, outcomes, result
    )
    return result


def _fit_proposals(
    db: Session, actor: CurrentUser, line_id: int, still: Decimal, reason: str, result: ChangeResult
) -> dict[int, dict[str, Any]]:
    """Reduce the line's proposed claims to what is still needed, or release them when nothing is.

    Returns what happened to each claim on the line that is still live (match id → outcome and quantity).
    """
    outcomes: dict[int, dict[str, Any]] = {}
    claims = db.exec(
        select(Match)
        .where(Match.resource_line_id == line_id, col(Match.status).in_([MatchStatus.PROPOSED, *HELD]))
        .order_by(col(Match.id))
    ).all()
    for claim in claims:
        if claim.status is not MatchStatus.PROPOSED or (claim.quantity or 0) <= still:
            outcomes[claim.id or 0] = {"outcome": "kept", "quantity": _num(claim.quantity)}
        elif still > 0:
            reduced = db.execute(
                _match.update()
                .where(_match.c.id == claim.id, _match.c.status == MatchStatus.PROPOSED.value)
                .values(quantity=still)
                .execution_options(synchronize_session=False)
            )
            if reduced.rowcount == 1:  # type: ignore[attr-defined]
                result.claims_reduced.append(claim.id or 0)
                outcomes[claim.id or 0] = {"outcome": "reduced", "quantity": _num(still), "was": _num(claim.quantity)}
        elif set_match_status(
            db,
            claim.id or 0,
            expected=(MatchStatus.PROPOSED,),
            status=MatchStatus.REJECTED,
            decision_reason=reason[:500],
            decided_by_id=actor.id,
            decided_at=utcnow(),
            released_by_change=True,  # not an admin's verdict on the offer (matches.services.JUDGED)
        ):
            result.claims_released.append(claim.id or 0)
            outcomes[claim.id or 0] = {"outcome": "released", "quantity": _num(claim.quantity)}
    return outcomes


def _tell_claimants(
    db: Session,
    line: ResourceLine,
    kind: str,
    payload: dict[str, Any],
    outcomes: dict[int, dict[str, Any]],
    result: ChangeResult,
) -> None:
    """Each organization with a live claim on the line (and the whole-project claimant) hears what happened."""
    claims = db.exec(select(Match).where(col(Match.id).in_(sorted(outcomes)))).all() if outcomes else []
    whole = _whole_claim(db, line.need_id)
    if whole is not None and whole.status is not MatchStatus.FULFILLED:
        claims = [*claims, whole]
    for claim in claims:
        item = outcomes.get(claim.id or 0, {"outcome": "whole"})
        for user_id in _organization_users(db, claim.organization_id):
            send(
                db, user_id, kind, payload | item | {"match_id": claim.id}, subject_type="need", subject_id=line.need_id
            )
            result.notified.append(user_id)


def _line_payload(need: Need, line: ResourceLine) -> dict[str, Any]:
    return {
        "need_id": need.id,
        "title": need.title,
        "line_id": line.id,
        "line": line.description,
        "line_kind": line.kind.value,
        "unit": line.unit,
    }


# --- shifts --------------------------------------------------------------------------------------------


def change_shift(
    db: Session,
    actor: CurrentUser,
    need_id: int,
    shift_id: int,
    *,
    version: int,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    slots: int | None = None,
) -> ChangeResult:
    """Move the shift (before it starts) and/or change its slots (never below the confirmed volunteers)."""
    need = _changeable(db, actor, need_id, version)
    shift = _shift_of(db, need_id, shift_id)
    if shift.cancelled_at is not None:
        raise ChangeRefused(
            "starts_at", "shift_cancelled", refusals.SHIFT_CANCELLED, status_code=409, shift_id=shift_id
        )
    now = utcnow()
    new_start, new_end = starts_at or shift.starts_at, ends_at or shift.ends_at
    moved = (new_start, new_end) != (shift.starts_at, shift.ends_at)
    new_slots = shift.slots if slots is None else slots
    if not moved and new_slots == shift.slots:
        raise ChangeRefused("starts_at", "no_change", refusals.NO_CHANGE)
    if moved:
        _check_move(shift, new_start, new_end, now)
    volunteers = _lock_volunteers_of(db, shift_id)
    db.refresh(shift)
    if new_slots < shift.confirmed_count:
        raise _too_few_slots(shift.confirmed_count)
    before = _shift_snapshot(shift)
    changed = db.execute(
        _shift.update()
        .where(_shift.c.id == shift_id, _shift.c.cancelled_at.is_(None), _shift.c.confirmed_count <= new_slots)
        .values(starts_at=new_start, ends_at=new_end, slots=new_slots)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(shift)
        raise _too_few_slots(shift.confirmed_count)
    db.refresh(shift)
    result = ChangeResult(need)
    released = _release_overlapping(db, actor, shift, volunteers) if moved else {}
    result.signups_released = sorted(released)
    result.need = _next_version(db, need_id, version)
    after = _shift_snapshot(shift)
    record(
        db,
        "need.shift.change",
        object_type="shift",
        object_id=shift_id,
        before=before,
        after=after | {"need_id": need_id, "signups_released": result.signups_released},
        actor=actor,
    )
    payload = _shift_payload(result.need, shift) | {
        "before": {"starts_at": before["starts_at"], "ends_at": before["ends_at"], "slots": before["slots"]},
        "moved": moved,
    }
    _tell_volunteers(db, shift, "need_shift_changed", payload, released, result)
    return result


def cancel_shift(
    db: Session, actor: CurrentUser, need_id: int, shift_id: int, *, version: int, reason: str
) -> ChangeResult:
    """Cancel a shift that has not started: its sign-ups and their matches are cancelled, its places freed."""
    reason = _required_reason(reason)
    need = _changeable(db, actor, need_id, version)
    shift = _shift_of(db, need_id, shift_id)
    if shift.cancelled_at is not None:
        raise ChangeRefused(
            "reason", "shift_cancelled", refusals.SHIFT_CANCELLED_ALREADY, status_code=409, shift_id=shift_id
        )
    now = utcnow()
    if shift.starts_at <= now:
        raise ChangeRefused("reason", "shift_started", refusals.SHIFT_STARTED, status_code=409, shift_id=shift_id)
    volunteers = _lock_volunteers_of(db, shift_id)
    before = _shift_snapshot(shift)
    cancelled = db.execute(
        _shift.update()
        .where(_shift.c.id == shift_id, _shift.c.cancelled_at.is_(None), _shift.c.starts_at > now)
        .values(cancelled_at=now, cancel_reason=reason, confirmed_count=0)
        .execution_options(synchronize_session=False)
    )
    if cancelled.rowcount != 1:  # type: ignore[attr-defined]
        raise ChangeRefused(
            "reason", "shift_cancelled", refusals.SHIFT_CANCELLED_ALREADY, status_code=409, shift_id=shift_id
        )
    released = {}
    for signup_id, volunteer_id, match_id in volunteers:
        if _release_signup(db, actor, signup_id, match_id, reason, give_back=False):
            released[signup_id] = volunteer_id
    db.refresh(shift)
    result = ChangeResult(need, signups_released=sorted(released))
    result.need = _next_version(db, need_id, version, takes_away="reason")
    record(
        db,
        "need.shift.cancel",
        object_type="shift",
        object_id=shift_id,
        before=before,
        after=_shift_snapshot(shift) | {"need_id": need_id, "signups_released": result.signups_released},
        actor=actor,
    )
    _tell_volunteers(
        db, shift, "need_shift_cancelled", _shift_payload(result.need, shift) | {"reason": reason}, released, result
    )
    return result


def _check_move(shift: Shift, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if shift.starts_at <= now:
        raise ChangeRefused("starts_at", "shift_started", refusals.SHIFT_STARTED, status_code=409, shift_id=shift.id)
    if ends_at <= starts_at:
        raise ChangeRefused("ends_at", "ends_before_start", refusals.ENDS_BEFORE_START)
    if ends_at - starts_at > MAX_SHIFT_LENGTH:
        raise ChangeRefused("ends_at", "too_long", refusals.SHIFT_TOO_LONG)
    if ends_at <= now:
        raise ChangeRefused("ends_at", "in_past", refusals.ENDS_IN_PAST)


def _too_few_slots(confirmed: int) -> ChangeRefused:
    return ChangeRefused(
        "slots",
        "below_confirmed",
        refusals.BELOW_CONFIRMED,
        confirmed=confirmed,
    )


def _lock_volunteers_of(db: Session, shift_id: int) -> list[tuple[int, int, int | None]]:
    """The shift's live sign-ups (id, volunteer, match), their volunteers locked first, in id order.

    A sign-up or an approval takes the volunteer's lock before the shift's row: so does a change, and a
    cancellation of one of these sign-ups meanwhile waits for it.
    """
    rows = db.execute(
        sa.select(_signup.c.id, _signup.c.volunteer_id, _signup.c.match_id)
        .where(_signup.c.shift_id == shift_id, _signup.c.status.in_([s.value for s in LIVE_SIGNUPS]))
        .order_by(_signup.c.volunteer_id)
    ).all()
    for volunteer_id in sorted({row.volunteer_id for row in rows}):
        lock_volunteer(db, volunteer_id)
    return [(row.id, row.volunteer_id, row.match_id) for row in rows]


def _release_overlapping(
    db: Session, actor: CurrentUser, shift: Shift, volunteers: list[tuple[int, int, int | None]]
) -> dict[int, int]:
    """Confirmed volunteers whose other confirmed shift overlaps the new time lose this place.

    Returns the released sign-ups (id → volunteer).
    """
    released: dict[int, int] = {}
    for signup_id, volunteer_id, match_id in volunteers:
        other = overlapping_confirmed(db, volunteer_id, shift.starts_at, shift.ends_at, shift.id or 0)
        if other is None:
            continue
        reason = shift_moved_onto(other.title, other.id, other.starts_at)
        if _release_signup(db, actor, signup_id, match_id, reason, give_back=True):
            released[signup_id] = volunteer_id
    return released


def _release_signup(
    db: Session, actor: CurrentUser, signup_id: int, match_id: int | None, reason: str, *, give_back: bool
) -> bool:
    row = db.get(ShiftSignup, signup_id)
    if row is None:
        return False
    held = row.status in (SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN)
    done = db.execute(
        _signup.update()
        .where(_signup.c.id == signup_id, _signup.c.status.in_([s.value for s in LIVE_SIGNUPS]))
        .values(status=SignupStatus.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if held and give_back:
        db.execute(
            _shift.update()
            .where(_shift.c.id == row.shift_id, _shift.c.confirmed_count > 0)
            .values(confirmed_count=_shift.c.confirmed_count - 1)
            .execution_options(synchronize_session=False)
        )
    if match_id is not None:
        set_match_status(
            db,
            match_id,
            expected=(MatchStatus.PROPOSED, MatchStatus.APPROVED),
            status=MatchStatus.CANCELLED,
            decision_reason=reason[:500],
            decided_by_id=actor.id,
            decided_at=utcnow(),
        )
    db.refresh(row)
    return True


def _tell_volunteers(
    db: Session, shift: Shift, kind: str, payload: dict[str, Any], released: dict[int, int], result: ChangeResult
) -> None:
    """Every volunteer signed up (or released by this change) hears it; the whole-project claimant too."""
    rows = db.execute(
        sa.select(_signup.c.id, VolunteerProfile.user_id)
        .join(VolunteerProfile, VolunteerProfile.id == _signup.c.volunteer_id)  # type: ignore[arg-type]
        .where(
            _signup.c.shift_id == shift.id,
            sa.or_(_signup.c.status.in_([s.value for s in LIVE_SIGNUPS]), _signup.c.id.in_(sorted(released) or [0])),
        )
    ).all()
    for signup_id, user_id in rows:
        outcome = "released" if signup_id in released else "kept"
        if kind == "need_shift_cancelled":
            outcome = "cancelled"
        send(
            db,
            user_id,
            kind,
            payload | {"outcome": outcome, "signup_id": signup_id},
            subject_type="need",
            subject_id=shift.need_id,
        )
        result.notified.append(user_id)
    whole = _whole_claim(db, shift.need_id)
    if whole is not None and whole.status is not MatchStatus.FULFILLED:
        for user_id in _organization_users(db, whole.organization_id):
            send(
                db,
                user_id,
                kind,
                payload | {"outcome": "whole", "match_id": whole.id},
                subject_type="need",
                subject_id=shift.need_id,
            )
            result.notified.append(user_id)


def _shift_snapshot(shift: Shift) -> dict[str, Any]:
    return {
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "slots": shift.slots,
        "confirmed_count": shift.confirmed_count,
        "cancelled_at": shift.cancelled_at.isoformat() if shift.cancelled_at else None,
        "cancel_reason": shift.cancel_reason,
    }


def _shift_payload(need: Need, shift: Shift) -> dict[str, Any]:
    return {
        "need_id": need.id,
        "title": need.title,
        "shift_id": shift.id,
        "shift": shift.title,
        "starts_at": shift.starts_at.isoformat(),
        "ends_at": shift.ends_at.isoformat(),
        "slots": shift.slots,
    }


# --- shared --------------------------------------------------------------------------------------------


def _changeable(db: Session, actor: CurrentUser, need_id: int, version: int) -> Need:
    """The need, in the actor's scope (404 otherwise), in a status that allows changes, at ``version``."""
    if actor.role not in (Role.ADMIN, Role.STAFF):
        raise services.NeedNotFound(need_id)
    need = services.get_visible_need(db, actor, need_id)
    if need.status not in CHANGEABLE:
        raise ChangeRefused("status", "not_changeable", refusals.NOT_CHANGEABLE, status_code=409, status=need.status)
    if need.version != version:
        raise StaleVersion(services.detached_need(db, need_id))
    return need


def _next_version(db: Session, need_id: int, version: int, *, takes_away: str | None = None) -> Need:
    """The change becomes the need's next version, or none at all when someone saved first (VersionConflict).

    ``takes_away`` names the field of a change that may take away the last thing a published need asks
    for: such a change is refused whole (409 ``nothing_asked``), as publishing a need that asks nothing is.
    """
    bumped = db.execute(
        _need.update()
        .where(_need.c.id == need_id, _need.c.version == version)
        .values(version=_need.c.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if bumped.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        raise StaleVersion(services.detached_need(db, need_id))
    refresh_need_status(db, need_id)
    need = services.current_need(db, need_id)
    if takes_away is not None and services.asks_nothing_on_board(db, need):
        db.rollback()
        raise ChangeRefused(takes_away, "nothing_asked", refusals.LAST_THING_ASKED, status_code=409)
    return need


def _line_of(db: Session, need_id: int, line_id: int) -> ResourceLine:
    line = db.get(ResourceLine, line_id)
    if line is None or line.need_id != need_id:
        raise ChangeRefused(
            "line_id", "line_not_found", refusals.NO_LINE, status_code=404, need_id=need_id, line_id=line_id
        )
    return line


def _shift_of(db: Session, need_id: int, shift_id: int) -> Shift:
    shift = db.get(Shift, shift_id)
    if shift is None or shift.need_id != need_id:
        raise ChangeRefused(
            "shift_id", "shift_not_found", refusals.NO_SHIFT, status_code=404, need_id=need_id, shift_id=shift_id
        )
    return shift


def _whole_claim(db: Session, need_id: int) -> Match | None:
    return db.exec(
        select(Match).where(
            Match.need_id == need_id,
            Match.kind == MatchKind.WHOLE_NEED,
            col(Match.status).in_([MatchStatus.PROPOSED, *HELD]),
        )
    ).first()


def _organization_users(db: Session, organization_id: int | None) -> list[int]:
    if organization_id is None:
        return []
    rows = db.exec(
        select(User.id).where(
            User.organization_id == organization_id, User.role == Role.PARTNER, col(User.is_active).is_(True)
        )
    ).all()
    return [user_id for user_id in rows if user_id is not None]


def _required_reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ChangeRefused("reason", "reason_required", refusals.REASON_REQUIRED)
    if len(reason) > 500:
        raise ChangeRefused("reason", "reason_too_long", refusals.REASON_REQUIRED)
    return reason


def _adjusted(result: ChangeResult) -> dict[str, list[int]]:
    return {"claims_reduced": result.claims_reduced, "claims_released": result.claims_released}


def _num(value: Decimal | None) -> str:
    return "0" if value is None else format(Decimal(value).normalize(), "f")
