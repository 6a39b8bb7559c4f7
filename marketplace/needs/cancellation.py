"""Cancelling a need: staff take a need off the board (the resident moved, the problem solved itself, a mistake).

Staff of the need's grid or community and admins (the scope every need decision follows) cancel a need with a
reason, from submitted, under review, published, partially matched, matched or in progress; a completed,
verified, rejected or cancelled need is refused (409 naming ``status``). Everything live on it ends in the same
transaction, through the rules the claim and sign-up paths use:

- a proposed claim, sign-up or round proposal is released: rejected with the reason, marked
  ``released_by_change`` (nobody judged the partner or volunteer; matches.services.JUDGED); a pending
  sign-up is cancelled with it (a proposal its candidate never accepted is reported as ``withdrawn``);
- an approved line claim is cancelled and gives its quantity back to its offer (an exhausted offer is active
  again, offers.lifecycle.release_to_offer) and to its line (a line closed as enough stays closed);
- an approved whole-project claim is cancelled (it reserved nothing);
- a confirmed sign-up is cancelled and its place freed;
- in progress: a volunteer checked in at this moment is checked out now and credited for the time served
  (the shift's own rule, volunteers.hours.credit_for), or released if the shift has not started; delivered
  claims and completed sign-ups stay what they are: the work was done.

The need itself changes last, by one conditional UPDATE on its id, the version the caller saw and a status
that allows cancelling. First of all, the need's entry is closed (matches.services.close_need_entry): claims,
sign-ups and proposals being added to it now commit before anything here starts (and are ended below), those
arriving later wait without holding any row and then find the need cancelled. The rows are then locked in the
order every other path takes them (volunteers, matches, then offers, lines and shifts, the need last), so a
racing approval either finishes first (and its claim is then cancelled here) or finds the claim decided.
Partners and volunteers hear what happened to their items (one notification each), the creator of the need
too; the audit log has ``need.cancel`` with before and after.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from marketplace.accounts.models import Role
from marketplace.audit.services import changed, record, snapshot
from marketplace.db.types import utcnow
from marketplace.i18n import gettext
from marketplace.matches import services as matches_services
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import (
    Conflict,
    close_need_entry,
    give_back_slot,
    give_back_to_line,
    lock_volunteer,
    people_of,
    set_match_status,
)
from marketplace.needs import refusals, services
from marketplace.needs.models import Need, NeedStatus, Shift
from marketplace.notifications.services import digest_key_for, match_payload, send
from marketplace.offers.services import release_to_offer
from marketplace.security.identity import CurrentUser
from marketplace.validation import _CONTROL
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from marketplace.volunteers.services import credit_for

# A need that has not ended yet: staff may still take it off the board.
CANCELLABLE: tuple[NeedStatus, ...] = (
    NeedStatus.SUBMITTED,
    NeedStatus.UNDER_REVIEW,
    NeedStatus.PUBLISHED,
    NeedStatus.PARTIALLY_MATCHED,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROGRESS,
)
MAX_REASON = 500
KIND = "need_cancelled"  # the notification (marketplace.notifications.need_change_messages)
BUSY = refusals.CANCEL_BUSY

# What happened to each live item (the notification's and the audit's vocabulary).
RELEASED = "released"  # a proposal (claim, sign-up, round proposal): rejected with the reason
CANCELLED = "cancelled"  # an approved claim or sign-up: what it held is given back
CREDITED = "credited"  # a volunteer checked in: checked out now, the time served credited
WITHDRAWN = "withdrawn"  # a round's (or staff's) proposal its candidate never accepted: released the same way
OUTCOMES = (RELEASED, WITHDRAWN, CANCELLED, CREDITED)

_match = Match.__table__  # type: ignore[attr-defined]
_signup = ShiftSignup.__table__  # type: ignore[attr-defined]
_need = Need.__table__  # type: ignore[attr-defined]
_profile = VolunteerProfile.__table__  # type: ignore[attr-defined]


@dataclass
class Cancellation:
    """What cancelling did: the need after it, and each live match it ended (match id → outcome)."""

    need: Need
    ended: dict[int, str] = field(default_factory=dict)
    notified: list[int] = field(default_factory=list)

    def ids(self, outcome: str) -> list[int]:
        return sorted(match_id for match_id, done in self.ended.items() if done == outcome)


def busy() -> Conflict:
    """A 409 said in the reader's language: a concurrent decision held the same rows (nothing was changed)."""
    error = Conflict(gettext(BUSY), extra={"code": "busy"})
    error.said = True
    return error


def clean_reason(reason: str | None) -> str:
    """The reason, trimmed: 1 to 500 characters, no control characters; else 400 naming ``reason``."""
    reason = (reason or "").strip()
    if not reason:
        raise services.NeedProblem("reason", "reason_required", refusals.CANCEL_REASON_REQUIRED)
    if len(reason) > MAX_REASON:
        raise services.NeedProblem("reason", "reason_too_long", refusals.REASON_TOO_LONG)
    if _CONTROL.search(reason):
        raise services.NeedProblem("reason", "control_characters", refusals.REASON_CONTROL)
    return reason


def cancel_need(db: Session, actor: CurrentUser, need_id: int, *, reason: str | None, version: int) -> Cancellation:
    """Cancel the need and end every live claim, sign-up and proposal on it (see the module's docstring).

    404 (NeedNotFound) outside the actor's scope; NeedProblem 400 for the reason; WrongStatus 409 when the need
    has ended; VersionConflict 409 when someone saved it since ``version``; Conflict 409 when a concurrent
    decision held the same rows and the database chose this request to give way (nothing was changed).
    """
    if actor.role not in (Role.ADMIN, Role.STAFF):
        raise services.NeedNotFound(need_id)
    need = services.get_visible_need(db, actor, need_id)
    reason = clean_reason(reason)
    if need.status not in CANCELLABLE:
        raise services.WrongStatus(services.detached_need(db, need_id))
    if need.version != version:
        raise services.VersionConflict(services.detached_need(db, need_id))
    before = snapshot(need, services.AUDITED_FIELDS)
    now = utcnow()
    result = Cancellation(need)
    try:
        close_need_entry(db, need_id)
        _end_live(db, actor, need_id, reason, now, result)
        ended = db.execute(
            _need.update()
            .where(
                _need.c.id == need_id,
                _need.c.version == version,
                _need.c.status.in_([status.value for status in CANCELLABLE]),
            )
            .values(
                status=NeedStatus.CANCELLED.value, status_reason=reason, version=_need.c.version + 1, updated_at=now
            )
            .execution_options(synchronize_session=False)
        )
        if ended.rowcount != 1:  # type: ignore[attr-defined]
            current = services.detached_need(db, need_id)
            db.rollback()
            if current.status not in CANCELLABLE:
                raise services.WrongStatus(current)
            raise services.VersionConflict(current)
        services.end_escalation(db, need_id, now)  # its open steps end with it
    except DBAPIError as error:
        if getattr(error.orig, "sqlstate", None) not in ("40P01", "40001"):
            raise
        db.rollback()
        raise busy() from None
    result.need = services.current_need(db, need_id)
    old, new = changed(before, snapshot(result.need, services.AUDITED_FIELDS))
    record(
        db,
        "need.cancel",
        object_type="need",
        object_id=need_id,
        before=old,
        after=new | {"reason": reason, **{f"matches_{outcome}": result.ids(outcome) for outcome in OUTCOMES}},
        actor=actor,
    )
    _tell(db, actor, result, reason)
    return result


# --- ending what is live ----------------------------------------------------------------------------------


def _end_live(db: Session, actor: CurrentUser, need_id: int, reason: str, now: datetime, result: Cancellation) -> None:
    """End every proposed and approved match of the need, its volunteers' locks first, then the matches'."""
    live = [MatchStatus.PROPOSED.value, MatchStatus.APPROVED.value]
    volunteers = db.execute(
        sa.select(_match.c.volunteer_id)
        .where(_match.c.need_id == need_id, _match.c.status.in_(live), _match.c.volunteer_id.is_not(None))
        .distinct()
    ).scalars()
    for volunteer_id in sorted(volunteers):
        lock_volunteer(db, volunteer_id)
    # Locked in id order (FOR UPDATE: PostgreSQL; SQLite's writers are serialised anyway) and read as they are
    # once locked: an approval that held one has finished, and none starts on them until this commits.
    rows = db.exec(
        select(Match)
        .where(Match.need_id == need_id, col(Match.status).in_(live))
        .order_by(col(Match.id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for match in rows:
        outcome = _end(db, actor, match, reason, now)
        if outcome is not None:
            result.ended[match.id or 0] = outcome


def _end(db: Session, actor: CurrentUser, match: Match, reason: str, now: datetime) -> str | None:
    decided = {"decision_reason": reason, "decided_by_id": actor.id, "decided_at": now}
    if match.status is MatchStatus.PROPOSED:
        awaiting = matches_services.answer_state(match) == "awaiting"
        # Not an admin's verdict on the partner or volunteer: left out of training and of the rounds' refusals.
        if not set_match_status(
            db,
            match.id or 0,
            expected=(MatchStatus.PROPOSED,),
            status=MatchStatus.REJECTED,
            released_by_change=True,
            **decided,
        ):
            return None
        _set_signups(db, match.id or 0, (SignupStatus.PENDING,), SignupStatus.CANCELLED)
        return WITHDRAWN if awaiting else RELEASED
    if match.kind is MatchKind.VOLUNTEER_SHIFT:
        return _end_signup(db, match, now, decided)
    if not set_match_status(
        db, match.id or 0, expected=(MatchStatus.APPROVED,), status=MatchStatus.CANCELLED, **decided
    ):
        return None
    if match.kind is MatchKind.OFFER_LINE and match.quantity:
        release_to_offer(db, match.offer_id or 0, match.quantity)
        give_back_to_line(db, match.resource_line_id or 0, match.quantity, reopen=False)
    return CANCELLED


def _end_signup(db: Session, match: Match, now: datetime, decided: dict[str, Any]) -> str | None:
    """An approved sign-up: a confirmed place is freed; a volunteer at work is checked out and credited."""
    signup = db.exec(select(ShiftSignup).where(ShiftSignup.match_id == match.id)).first()
    shift = db.get(Shift, match.shift_id)
    if signup is not None and shift is not None and signup.status is SignupStatus.CHECKED_IN and now >= shift.starts_at:
        return _check_out(db, match, signup, shift, now)
    if not set_match_status(
        db, match.id or 0, expected=(MatchStatus.APPROVED,), status=MatchStatus.CANCELLED, **decided
    ):
        return None
    if signup is not None and _set_signups(
        db, match.id or 0, (SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN), SignupStatus.CANCELLED
    ):
        give_back_slot(db, signup.shift_id)
    return CANCELLED


def _check_out(db: Session, match: Match, signup: ShiftSignup, shift: Shift, now: datetime) -> str | None:
    """Checked in when the need is cancelled: out now, with the hours the shift's rule gives for the time served."""
    assert signup.checked_in_at is not None
    checked_out = max(now, signup.checked_in_at)
    hours = credit_for(shift.starts_at, shift.ends_at, signup.checked_in_at, checked_out).hours
    done = db.execute(
        _signup.update()
        .where(_signup.c.id == signup.id, _signup.c.status == SignupStatus.CHECKED_IN.value)
        .values(status=SignupStatus.COMPLETED.value, checked_out_at=checked_out, hours_credited=hours)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None  # the volunteer checked out themselves meanwhile
    db.execute(
        _profile.update()
        .where(_profile.c.id == signup.volunteer_id)
        .values(hours_total=_profile.c.hours_total + hours, fulfilled_count=_profile.c.fulfilled_count + 1)
        .execution_options(synchronize_session=False)
    )
    set_match_status(
        db, match.id or 0, expected=(MatchStatus.APPROVED,), status=MatchStatus.FULFILLED, fulfilled_at=now
    )
    return CREDITED


def _set_signups(db: Session, match_id: int, expected: tuple[SignupStatus, ...], status: SignupStatus) -> bool:
    done = db.execute(
        _signup.update()
        .where(_signup.c.match_id == match_id, _signup.c.status.in_([s.value for s in expected]))
        .values(status=status.value)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


# --- telling those affected -------------------------------------------------------------------------------


def _tell(db: Session, actor: CurrentUser, result: Cancellation, reason: str) -> None:
    """One notification to each partner user and volunteer whose items ended (each item with its outcome), and
    one to the staff member who recorded the need when someone else cancelled it."""
    need = result.need
    items: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if result.ended:
        matches = db.exec(select(Match).where(col(Match.id).in_(sorted(result.ended))).order_by(col(Match.id))).all()
        for match in matches:
            item = match_payload(db, match, outcome=result.ended[match.id or 0])
            item.pop("reason", None)  # the need's reason is said once
            for user_id in people_of(db, match):
                items[user_id].append(item)
    base = {"need_id": need.id, "need_title": need.title, "reason": reason}
    key = digest_key_for(KIND, "need", need.id or 0)
    for user_id, own in items.items():
        payload = base | {"items": own} | ({"outcome": own[0]["outcome"], **_one(own[0])} if len(own) == 1 else {})
        send(db, user_id, KIND, payload, subject_type="need", subject_id=need.id, digest_key=key)
        result.notified.append(user_id)
    creator = need.created_by_id
    if creator is not None and creator != actor.id and creator not in items:
        send(db, creator, KIND, base | {"outcome": "recorded"}, subject_type="need", subject_id=need.id, digest_key=key)
        result.notified.append(creator)


def _one(item: dict[str, Any]) -> dict[str, Any]:
    """The fields of the one item a reader had, at the payload's top level (the phrases read them there)."""
    keep = ("match_id", "match_kind", "line", "line_kind", "quantity", "unit", "shift", "starts_at")
    return {name: item[name] for name in keep if name in item}


# --- small helpers ----------------------------------------------------------------------------------------


def preview(claims: list[Any], shifts: list[Any]) -> dict[str, int]:
    """What cancelling would end, counted from what the staff page has loaded (no query): live claims and
    round proposals to partners, and live sign-ups (pending, confirmed, checked in)."""
    live_claims = sum(1 for claim in claims if claim.match.status in (MatchStatus.PROPOSED, MatchStatus.APPROVED))
    current = (SignupStatus.PENDING, SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN)
    live_signups = sum(1 for item in shifts for entry in item.signups if entry.signup.status in current)
    return {"claims": live_claims, "signups": live_signups}
