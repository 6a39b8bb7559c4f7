"""Volunteers' sign-ups for shifts: confirmed at once (a conditional slot update) or pending review.

Signing up twice for the same shift returns the existing sign-up (the partial unique index
shift_signup_once_per_volunteer keeps it to one row even when requests race). A volunteer cannot hold
two confirmed shifts that overlap in time: every path that confirms a volunteer (a sign-up here, the
approval of a pending one in review.py) first takes the volunteer's row lock (``lock_volunteer``) and
only then looks for an overlapping confirmed shift, so two such requests for one volunteer run one after
the other and the second sees the first. Cancelling gives the slot back.
"""

from datetime import datetime

import sqlalchemy as sa
from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from marketplace.audit.services import record, snapshot
from marketplace.db.types import utcnow
from marketplace.matches import openings, refusals, round_proposals, street_scope
from marketplace.matches.held_time import SLOT_HOLDERS, held_until
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.matches.reasons import VOLUNTEER_CANCELLED
from marketplace.matches.services import (
    enter_open_need,
    give_back_slot,
    refresh_need_status,
    set_match_status,
    take_slot,
)
from marketplace.needs.models import Shift
from marketplace.notifications.services import match_payload, send
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

AUDIT_FIELDS = ["id", "shift_id", "volunteer_id", "match_id", "status"]


def volunteer_of(db: Session, actor: CurrentUser) -> VolunteerProfile:
    profile = db.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == actor.id)).first()
    if profile is None:
        raise PermissionDeniedException("Only volunteers may sign up for shifts")
    return profile


def lock_volunteer(db: Session, volunteer_id: int) -> bool:
    """Serialise the confirmations of one volunteer until the transaction ends.

    A check-then-insert ("no overlapping confirmed shift, so confirm this one") is only safe when no
    other transaction can confirm the same volunteer in between. A conditional UPDATE of the volunteer's
    profile row takes PostgreSQL's row lock (held to commit or rollback; a second transaction waits, then
    its next statement sees the first one's rows under READ COMMITTED). SQLite's BEGIN IMMEDIATE already
    serialises all writers; the UPDATE costs nothing there. Other volunteers never wait.
    False when there is no such volunteer.
    """
    table = VolunteerProfile.__table__  # type: ignore[attr-defined]
    result = db.execute(
        table.update()
        .where(table.c.id == volunteer_id)
        .values(id=table.c.id)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def overlapping_confirmed(
    db: Session, volunteer_id: int, starts_at: datetime, ends_at: datetime, exclude_shift_id: int
) -> Shift | None:
    """The earliest shift the volunteer already holds a slot on that overlaps the window, if any (the time it
    holds: ``held_time``). Ordered, so the refusal names the same shift on every database (the pages' marks,
    ``confirmed_shifts_between``, name the earliest too)."""
    return db.exec(
        select(Shift)
        .join(ShiftSignup, col(ShiftSignup.shift_id) == Shift.id)
        .where(
            ShiftSignup.volunteer_id == volunteer_id,
            col(ShiftSignup.status).in_(SLOT_HOLDERS),
            Shift.id != exclude_shift_id,
            col(Shift.starts_at) < ends_at,
            held_until() > starts_at,
        )
        .order_by(col(Shift.starts_at), col(Shift.id))
    ).first()


def confirmed_shifts_between(
    db: Session, volunteer_id: int, starts_at: datetime, ends_at: datetime
) -> list[tuple[Shift, datetime]]:
    """The shifts the volunteer holds a slot on that overlap the window, each with the end of the time it holds
    (``held_time``), in one query: the pages mark the shifts they clash with before the volunteer tries (the
    sign-up would be refused, ``overlapping_confirmed``)."""
    held = held_until().label("held_until")
    found = db.execute(
        select(Shift, held)
        .join(ShiftSignup, col(ShiftSignup.shift_id) == Shift.id)
        .where(
            ShiftSignup.volunteer_id == volunteer_id,
            col(ShiftSignup.status).in_(SLOT_HOLDERS),
            col(Shift.starts_at) < ends_at,
            held_until() > starts_at,
        )
        .order_by(col(Shift.starts_at), col(Shift.id))
    ).all()
    return [(shift, end) for shift, end in found]  # the case takes UTCDateTime: read back aware


def clash_of(
    held: list[tuple[Shift, datetime]], shift_id: int | None, starts_at: datetime, ends_at: datetime
) -> tuple[Shift, datetime] | None:
    """The first of ``held`` (another shift, with the end of the time it holds) overlapping the window, with that
    end, or None."""
    return next(
        ((other, end) for other, end in held if other.id != shift_id and other.starts_at < ends_at and end > starts_at),
        None,
    )


def _live_signup(db: Session, shift_id: int, volunteer_id: int) -> ShiftSignup | None:
    return db.exec(
        select(ShiftSignup).where(
            ShiftSignup.shift_id == shift_id,
            ShiftSignup.volunteer_id == volunteer_id,
            ShiftSignup.status != SignupStatus.CANCELLED,
        )
    ).first()


def sign_up(db: Session, actor: CurrentUser, shift_id: int) -> tuple[ShiftSignup, bool]:
    """(sign-up, created). An existing live sign-up is returned unchanged (created False)."""
    profile = volunteer_of(db, actor)
    shift = db.get(Shift, shift_id)
    if shift is None:
        raise NotFoundException(f"No shift {shift_id}")
    if not street_scope.volunteer_serves_need(db, profile.id or 0, shift.need_id):
        # A volunteer belongs to their street (street_scope): another street's shift is not theirs to take.
        raise street_scope.VolunteerNotServed(street_scope.street_of_need(db, shift.need_id))
    enter_open_need(db, shift.need_id)  # before any row lock: a cancellation of the need waits, or is waited for
    if not lock_volunteer(db, profile.id or 0):  # before any check: this volunteer's other sign-ups wait here
        raise PermissionDeniedException("Only volunteers may sign up for shifts")
    existing = _live_signup(db, shift_id, profile.id or 0)
    if existing is not None:
        if existing.match_id is not None and round_proposals.awaiting_match_ids(db, [existing.match_id]):
            # Signing up for a shift the street proposed to you says yes to that proposal.
            round_proposals.accept(db, actor, existing.match_id)
        return existing, False
    if shift.ends_at <= utcnow():
        raise refusals.refusal("shift_over", refusals.SHIFT_OVER, ends_at=shift.ends_at.isoformat())
    refusal = openings.shift_refusal(db, shift)
    if refusal is not None:
        raise refusal
    other = overlapping_confirmed(db, profile.id or 0, shift.starts_at, shift.ends_at, shift_id)
    if other is not None:
        raise refusals.shift_refusal("signup_overlap", refusals.SIGNUP_OVERLAP, other.title, other.id)
    confirm = not shift.requires_approval
    match = Match(
        need_id=shift.need_id,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.VOLUNTEER_SIGNUP,
        shift_id=shift_id,
        volunteer_id=profile.id,
        status=MatchStatus.APPROVED if confirm else MatchStatus.PROPOSED,
        proposed_by_id=actor.id,
        decided_at=utcnow() if confirm else None,
    )
    signup = ShiftSignup(
        shift_id=shift_id,
        volunteer_id=profile.id or 0,
        status=SignupStatus.CONFIRMED if confirm else SignupStatus.PENDING,
    )
    try:
        db.add(match)
        db.flush()
        signup.match_id = match.id
        db.add(signup)
        db.flush()
    except IntegrityError:
        # The same volunteer's other request got there first: answer with that one.
        db.rollback()
        existing = _live_signup(db, shift_id, profile.id or 0)
        if existing is None:
            raise refusals.refusal("already_signed_up", refusals.ALREADY_SIGNED_UP, shift_id=shift_id) from None
        return existing, False
    if confirm:
        if not take_slot(db, shift_id):
            db.rollback()
            raise refusals.refusal("shift_full", refusals.SHIFT_FILLED, shift_id=shift_id)
        send(
            db,
            actor.id,
            "signup_confirmed",
            match_payload(db, match),
            subject_type="shift",
            subject_id=shift_id,
        )
        refresh_need_status(db, shift.need_id)
    record(db, "signup.create", object_type="shift_signup", object_id=signup.id, after=snapshot(signup, AUDIT_FIELDS))
    return signup, True


def own_signup(db: Session, actor: CurrentUser, signup_id: int) -> ShiftSignup:
    profile = db.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == actor.id)).first()
    row = db.get(ShiftSignup, signup_id)
    if row is None or profile is None or row.volunteer_id != profile.id or _unaccepted_proposal(db, row):
        raise NotFoundException(f"No sign-up {signup_id}")
    return row


def _unaccepted_proposal(db: Session, row: ShiftSignup) -> bool:
    """The placeholder of a round's proposal the volunteer never accepted: not their sign-up (they answer
    the proposal instead, in marketplace.matches.round_proposals)."""
    match = db.get(Match, row.match_id) if row.match_id is not None else None
    return match is not None and round_proposals.never_accepted(match)


def list_signups(db: Session, actor: CurrentUser) -> list[tuple[ShiftSignup, Shift]]:
    profile = db.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == actor.id)).first()
    if profile is None:
        return []
    rows = db.exec(
        select(ShiftSignup, Shift)
        .join(Shift, col(Shift.id) == ShiftSignup.shift_id)
        .where(ShiftSignup.volunteer_id == profile.id, round_proposals.not_an_unaccepted_proposal_signup())
        .order_by(col(Shift.starts_at))
    ).all()
    return [(signup, shift) for signup, shift in rows]


def cancel_signup(db: Session, actor: CurrentUser, signup_id: int, reason: str | None = None) -> ShiftSignup:
    """Give the slot back (if the sign-up held one); the sign-up and its match become cancelled."""
    # The volunteer's lock first, as a sign-up and an approval take it: a cancellation racing the approval
    # of the same sign-up then reads its status after the approval (and gives the slot back) or makes the
    # approval find the match cancelled; without it the slot could be kept by a cancelled sign-up, or the
    # two could deadlock on PostgreSQL.
    profile = db.exec(select(VolunteerProfile).where(VolunteerProfile.user_id == actor.id)).first()
    if profile is not None:
        lock_volunteer(db, profile.id or 0)
    row = own_signup(db, actor, signup_id)
    before = snapshot(row, AUDIT_FIELDS)
    table = ShiftSignup.__table__  # type: ignore[attr-defined]
    held = [s.value for s in (SignupStatus.PENDING, SignupStatus.CONFIRMED)]
    result = db.execute(
        sa.update(table)
        .where(table.c.id == signup_id, table.c.status.in_(held))
        .values(status=SignupStatus.CANCELLED.value)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(row)
        raise refusals.in_status("signup_not_cancellable", refusals.SIGNUP_NOT_CANCELLABLE, row.status)
    if row.status is SignupStatus.CONFIRMED:
        give_back_slot(db, row.shift_id)
    if row.match_id is not None:
        set_match_status(
            db,
            row.match_id,
            expected=(MatchStatus.PROPOSED, MatchStatus.APPROVED),
            status=MatchStatus.CANCELLED,
            decision_reason=(reason or VOLUNTEER_CANCELLED)[:500],
            decided_at=utcnow(),
        )
    db.refresh(row)
    shift = db.get(Shift, row.shift_id)
    if shift is not None:
        refresh_need_status(db, shift.need_id)
    record(
        db,
        "signup.cancel",
        object_type="shift_signup",
        object_id=row.id,
        before=before,
        after=snapshot(row, AUDIT_FIELDS),
    )
    return row
