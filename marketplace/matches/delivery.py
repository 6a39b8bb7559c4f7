"""Delivery: partners mark an approved claim delivered; volunteers check in and out; staff verify the need.

Hours credited follow the one rule in marketplace.volunteers.hours (``credit_for``); the volunteer's
hours_total (the all-time figure) grows by an atomic UPDATE. A volunteer is checked in to one shift at a time.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlmodel import Session, col, select

from marketplace.accounts.models import Role
from marketplace.audit.services import record, snapshot
from marketplace.db.types import utcnow
from marketplace.matches import field_problems, refusals
from marketplace.matches.claims import own_claim
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.matches.services import Conflict, field_problem, refresh_need_status, set_match_status
from marketplace.matches.signups import lock_volunteer, own_signup
from marketplace.matches.street_scope import need_in_scope
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.notifications.services import send
from marketplace.organizations.services import require_approved_organization
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from marketplace.volunteers.services import credit_for

_signup = ShiftSignup.__table__  # type: ignore[attr-defined]
_profile = VolunteerProfile.__table__  # type: ignore[attr-defined]
_need = Need.__table__  # type: ignore[attr-defined]

# The statuses ``verify_need`` accepts (then the blockers decide): a need someone holds a part of and nobody has
# closed. Partially matched too: a shift that ended with places unfilled is over, not missing.
VERIFIABLE: tuple[NeedStatus, ...] = (
    NeedStatus.PARTIALLY_MATCHED,
    NeedStatus.MATCHED,
    NeedStatus.IN_PROGRESS,
    NeedStatus.COMPLETED,
)


def mark_delivered(db: Session, actor: CurrentUser, match_id: int) -> Match:
    row = own_claim(db, actor, match_id)
    # A delivery is the organization's word that the need got what it was promised: a suspended (or no
    # longer approved) organization's word does not close a need; the street's staff verify it instead.
    require_approved_organization(db, actor)
    before = snapshot(row, ["status", "fulfilled_at"])
    now = utcnow()
    if not set_match_status(
        db, match_id, expected=(MatchStatus.APPROVED,), status=MatchStatus.FULFILLED, fulfilled_at=now
    ):
        db.refresh(row)
        raise refusals.in_status("claim_not_approved", refusals.CLAIM_NOT_APPROVED, row.status)
    db.refresh(row)
    after = snapshot(row, ["status", "fulfilled_at"]) or {}
    if row.kind is MatchKind.WHOLE_NEED:
        after["lines_fulfilled"] = _fulfil_every_line(db, row.need_id)
    refresh_need_status(db, row.need_id)
    record(db, "match.deliver", object_type="match", object_id=row.id, before=before, after=after)
    return row


def _fulfil_every_line(db: Session, need_id: int) -> dict[str, str]:
    """A delivered whole-project claim provided what every line still needed: each line needs nothing more.

    Returns what it provided per line (line id → quantity), for the audit log.
    """
    line = ResourceLine.__table__  # type: ignore[attr-defined]
    owed = db.execute(
        sa.select(line.c.id, line.c.still_needed).where(line.c.need_id == need_id, line.c.still_needed > 0)
    ).all()
    db.execute(
        line.update()
        .where(line.c.need_id == need_id, line.c.still_needed > 0)
        .values(still_needed=0)
        .execution_options(synchronize_session=False)
    )
    return {str(line_id): str(quantity) for line_id, quantity in owed}


def credited_hours(shift: Shift, checked_in: datetime, checked_out: datetime) -> Decimal:
    """The hours a stay earns on the shift (the rule lives in marketplace.volunteers.hours)."""
    return credit_for(shift.starts_at, shift.ends_at, checked_in, checked_out).hours


class AlreadyCheckedIn(Conflict):
    """409: the volunteer is checked in to another shift and must check out there first."""

    def __init__(self, shift: Shift) -> None:
        detail, extra = refusals.said_about_shift(
            "checked_in_elsewhere", refusals.CHECKED_IN_ELSEWHERE, shift.title, shift.id
        )
        super().__init__(detail, extra=extra)
        self.said = True
        self.shift_id = shift.id
        self.shift_title = shift.title


def _checked_in_elsewhere(volunteer_id: int, signup_id: int) -> sa.Exists:
    other = _signup.alias("other_signup")
    return sa.exists().where(
        other.c.volunteer_id == volunteer_id,
        other.c.status == SignupStatus.CHECKED_IN.value,
        other.c.id != signup_id,
    )


def _shift_checked_in(db: Session, volunteer_id: int) -> Shift | None:
    return db.exec(
        select(Shift)
        .join(ShiftSignup, col(ShiftSignup.shift_id) == Shift.id)
        .where(ShiftSignup.volunteer_id == volunteer_id, ShiftSignup.status == SignupStatus.CHECKED_IN)
    ).first()


# A volunteer may check in from an hour before the shift until it ends (arriving early to set up).
CHECK_IN_OPENS = timedelta(hours=1)


def check_in_closed(shift: Shift, now: datetime) -> Conflict | None:
    """The 409 when check-in is not open at ``now``: when it opens (the street's time), or that the shift is over."""
    if now >= shift.ends_at:
        return refusals.refusal("shift_over", refusals.SHIFT_OVER, ends_at=shift.ends_at.isoformat())
    opens = shift.starts_at - CHECK_IN_OPENS
    if now < opens:
        return refusals.at_moment("check_in_not_yet", refusals.CHECK_IN_NOT_YET, opens, refusals.CHECK_IN_WINDOW)
    return None


def check_in(db: Session, actor: CurrentUser, signup_id: int, now: datetime | None = None) -> ShiftSignup:
    row = own_signup(db, actor, signup_id)
    now = now or utcnow()
    shift = db.get(Shift, row.shift_id)
    # Checking in for a shift days away (and out at once) would make a completed sign-up of no work.
    closed = None if shift is None else check_in_closed(shift, now)
    if closed is not None:
        raise closed
    # One shift at a time: under the volunteer's lock (as sign-ups take it), the check-in is a conditional
    # UPDATE that finds no other checked-in sign-up of theirs, so two check-ins racing cannot both succeed.
    lock_volunteer(db, row.volunteer_id)
    result = db.execute(
        _signup.update()
        .where(
            _signup.c.id == signup_id,
            _signup.c.status == SignupStatus.CONFIRMED.value,
            ~_checked_in_elsewhere(row.volunteer_id, signup_id),
        )
        .values(status=SignupStatus.CHECKED_IN.value, checked_in_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(row)
        other = _shift_checked_in(db, row.volunteer_id) if row.status is SignupStatus.CONFIRMED else None
        if other is not None and other.id != row.shift_id:
            raise AlreadyCheckedIn(other)
        raise refusals.in_status("signup_not_confirmed", refusals.SIGNUP_NOT_CONFIRMED, row.status)
    db.refresh(row)
    record(
        db,
        "signup.check_in",
        object_type="shift_signup",
        object_id=row.id,
        after=snapshot(row, ["status", "checked_in_at"]),
    )
    return row


def check_out(db: Session, actor: CurrentUser, signup_id: int, now: datetime | None = None) -> ShiftSignup:
    row = own_signup(db, actor, signup_id)
    shift = db.get(Shift, row.shift_id)
    now = now or utcnow()
    if row.status is not SignupStatus.CHECKED_IN or row.checked_in_at is None or shift is None:
        raise refusals.in_status("signup_not_checked_in", refusals.SIGNUP_NOT_CHECKED_IN, row.status)
    if now < shift.starts_at:
        # Out before the start is no work done: it would count as a fulfilled shift of 0 hours.
        raise refusals.at_moment("check_out_not_yet", refusals.CHECK_OUT_NOT_YET, shift.starts_at)
    checked_out = max(now, row.checked_in_at)
    hours = credit_for(shift.starts_at, shift.ends_at, row.checked_in_at, checked_out).hours
    result = db.execute(
        _signup.update()
        .where(_signup.c.id == signup_id, _signup.c.status == SignupStatus.CHECKED_IN.value)
        .values(status=SignupStatus.COMPLETED.value, checked_out_at=checked_out, hours_credited=hours)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise refusals.refusal("checked_out_already", refusals.CHECKED_OUT_ALREADY)
    db.execute(
        _profile.update()
        .where(_profile.c.id == row.volunteer_id)
        .values(hours_total=_profile.c.hours_total + hours, fulfilled_count=_profile.c.fulfilled_count + 1)
        .execution_options(synchronize_session=False)
    )
    if row.match_id is not None:
        set_match_status(
            db, row.match_id, expected=(MatchStatus.APPROVED,), status=MatchStatus.FULFILLED, fulfilled_at=now
        )
    db.refresh(row)
    refresh_need_status(db, shift.need_id)
    record(
        db,
        "signup.check_out",
        object_type="shift_signup",
        object_id=row.id,
        after=snapshot(row, ["status", "checked_out_at", "hours_credited"]),
    )
    return row


def mark_no_show(db: Session, actor: CurrentUser, signup_id: int, now: datetime | None = None) -> ShiftSignup:
    """Staff of the need's grid (or its street's admin) record that a confirmed volunteer did not come.

    Only once the shift is over, and only a sign-up still confirmed (nobody checked in): the sign-up and its
    match become no-shows, the volunteer's no-show count grows by one (their reliability reads it), and the
    place stays held (the shift is over; nothing is freed). A second attempt is refused, never counted twice.
    """
    if actor.role not in (Role.ADMIN, Role.STAFF):
        raise PermissionDeniedException("Only staff record attendance")
    row = db.get(ShiftSignup, signup_id)
    shift = db.get(Shift, row.shift_id) if row is not None else None
    need = db.get(Need, shift.need_id) if shift is not None else None
    if row is None or shift is None or need is None or not _may_judge_attendance(db, actor, need):
        raise NotFoundException(f"No sign-up {signup_id}")
    now = now or utcnow()
    if shift.cancelled_at is None and shift.ends_at > now:
        raise refusals.at_moment("no_show_not_yet", refusals.NO_SHOW_NOT_YET, shift.ends_at)
    result = db.execute(  # a cancelled shift's sign-ups were released with it: none is still confirmed
        _signup.update()
        .where(_signup.c.id == signup_id, _signup.c.status == SignupStatus.CONFIRMED.value)
        .values(status=SignupStatus.NO_SHOW.value)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(row)
        raise refusals.in_status("no_show_not_confirmed", refusals.NO_SHOW_NOT_CONFIRMED, row.status)
    db.execute(
        _profile.update()
        .where(_profile.c.id == row.volunteer_id)
        .values(no_show_count=_profile.c.no_show_count + 1)
        .execution_options(synchronize_session=False)
    )
    if row.match_id is not None:
        set_match_status(db, row.match_id, expected=(MatchStatus.APPROVED,), status=MatchStatus.NO_SHOW)
    db.refresh(row)
    refresh_need_status(db, shift.need_id)
    record(db, "signup.no_show", object_type="shift_signup", object_id=row.id, after=snapshot(row, ["status"]))
    return row


def need_of_signup(db: Session, signup_id: int) -> int | None:
    """The need whose shift the sign-up is for (None when there is no such sign-up)."""
    return db.execute(
        sa.select(Shift.need_id)
        .join(ShiftSignup, col(ShiftSignup.shift_id) == Shift.id)
        .where(ShiftSignup.id == signup_id)
    ).scalar()


def _may_judge_attendance(db: Session, actor: CurrentUser, need: Need) -> bool:
    if actor.role is Role.STAFF:
        return _in_scope(db, actor, need)
    return need_in_scope(db, actor, need.id)  # type: ignore[arg-type]


def verify_need(db: Session, actor: CurrentUser, need_id: int, satisfaction: int | None, comment: str | None) -> Need:
    """Staff close a need: every line fully delivered, every shift over; records the resident's satisfaction."""
    if actor.role not in (Role.ADMIN, Role.STAFF):
        raise PermissionDeniedException("Only staff verify needs")
    need = db.get(Need, need_id)
    if need is None:
        raise NotFoundException(f"No need {need_id}")
    if actor.role is Role.STAFF and not _in_scope(db, actor, need):
        raise NotFoundException(f"No need {need_id}")
    if actor.role is Role.ADMIN and not need_in_scope(db, actor, need_id):  # another street's need looks missing
        raise NotFoundException(f"No need {need_id}")
    if satisfaction is None or not 1 <= satisfaction <= 5:
        raise field_problem(
            "satisfaction", field_problems.SATISFACTION_OUT_OF_RANGE, "out_of_range", minimum=1, maximum=5
        )
    if comment is not None and len(comment) > 1000:
        raise field_problem("comment", field_problems.COMMENT_TOO_LONG, "too_long", {"n": "1000"}, max=1000)
    problems = verification_blockers(db, need_id)
    if problems:
        raise refusals.not_verifiable_yet(need_id, problems)
    before = snapshot(need, ["status", "satisfaction", "satisfaction_comment", "verified_at"])
    now = utcnow()
    result = db.execute(
        _need.update()
        .where(
            _need.c.id == need_id,
            # verification_blockers said what must be done, and nothing is left.
            _need.c.status.in_([status.value for status in VERIFIABLE]),
        )
        .values(
            status=NeedStatus.VERIFIED.value,
            satisfaction=satisfaction,
            satisfaction_comment=comment or None,
            verified_at=now,
            completed_at=sa.func.coalesce(_need.c.completed_at, now),
            updated_at=now,
            version=_need.c.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.refresh(need)
        raise refusals.in_status("need_not_verifiable", refusals.NEED_NOT_VERIFIABLE, need.status)
    from marketplace.needs import services as needs_services  # the needs domain builds on the matches one

    needs_services.end_escalation(db, need_id, now)  # a verified need's open steps end with it
    db.refresh(need)
    record(
        db,
        "need.verify",
        object_type="need",
        object_id=need_id,
        before=before,
        after=snapshot(need, ["status", "satisfaction", "satisfaction_comment", "verified_at"]),
    )
    for user_id in _participants(db, need_id):
        send(
            db,
            user_id,
            "need_closed",
            {"need_id": need_id, "title": need.title},
            subject_type="need",
            subject_id=need_id,
        )
    return need


def verification_blockers(db: Session, need_id: int) -> list[refusals.Blocker]:
    """What a need still waits for (``blockers_among`` its lines, shifts and partners' claims, now)."""
    lines = db.exec(select(ResourceLine).where(ResourceLine.need_id == need_id)).all()
    shifts = db.exec(select(Shift).where(Shift.need_id == need_id)).all()
    claims = db.exec(
        select(Match).where(
            Match.need_id == need_id, Match.status == MatchStatus.APPROVED, Match.kind != MatchKind.VOLUNTEER_SHIFT
        )
    ).all()
    return blockers_among(lines, shifts, claims, utcnow())


def blockers_among(
    lines: Iterable[ResourceLine], shifts: Iterable[Shift], claims: Iterable[Match], now: datetime
) -> list[refusals.Blocker]:
    """What a need still waits for: lines still needing something, shifts not over, claims not delivered.

    The rule ``verify_need`` applies, over rows already read (the need page has them). ``claims``: the need's
    partners' claims (any status; volunteers' sign-ups wait for nothing once their shift is over). A line
    closed as enough needs nothing; a cancelled shift waits for nothing; a moved shift waits for its new end.
    While a whole-project claim is approved its lines are that claim's to deliver: the claim not yet delivered
    is the one thing said about them.
    """
    approved = [m for m in claims if m.status == MatchStatus.APPROVED and m.kind != MatchKind.VOLUNTEER_SHIFT]
    whole_pending = any(m.kind == MatchKind.WHOLE_NEED for m in approved)
    problems = [
        refusals.line_blocker(line)
        for line in lines
        if line.still_needed > 0 and line.closed_at is None and not whole_pending
    ]
    problems += [
        refusals.shift_blocker(shift) for shift in shifts if shift.ends_at > now and shift.cancelled_at is None
    ]
    if approved:
        problems.append(refusals.claims_blocker(len(approved)))
    return problems


def ready_to_verify(now: datetime | None = None) -> sa.ColumnElement[bool]:
    """The need is ready to verify (待验收): in a status ``verify_need`` accepts and with no verification blocker.

    The one rule, as an SQL condition on ``Need`` (correlated: lists filter and count by it, the need page asks
    it of one need), in step with ``verification_blockers``: no line still needing something and not closed as
    enough, every shift over (at ``now``, UTC) or cancelled, no approved claim not yet delivered (a line claim
    or a whole-project claim; an approved whole-project claim is what its lines wait for). A volunteer's
    approved sign-up waits for nothing once its shift is over.
    """
    moment = now or utcnow()
    line_short = sa.exists().where(
        ResourceLine.need_id == Need.id,
        ResourceLine.still_needed > 0,  # type: ignore[operator]
        ResourceLine.closed_at.is_(None),  # type: ignore[union-attr]
    )
    shift_not_over = sa.exists().where(
        Shift.need_id == Need.id,
        Shift.ends_at > moment,  # type: ignore[operator]
        Shift.cancelled_at.is_(None),  # type: ignore[union-attr]
    )
    claim_not_delivered = sa.exists().where(
        Match.need_id == Need.id,
        Match.status == MatchStatus.APPROVED,
        Match.kind != MatchKind.VOLUNTEER_SHIFT,
    )
    return sa.and_(
        col(Need.status).in_(VERIFIABLE),
        ~line_short,
        ~shift_not_over,
        ~claim_not_delivered,
    )


def is_ready_to_verify(db: Session, need_id: int, now: datetime | None = None) -> bool:
    """``ready_to_verify`` for one need (one query)."""
    found = db.execute(sa.select(Need.id).where(Need.id == need_id, ready_to_verify(now))).first()
    return found is not None


def _participants(db: Session, need_id: int) -> list[int]:
    from marketplace.matches.review import people_of

    users: dict[int, None] = {}
    for match in db.exec(
        select(Match).where(
            Match.need_id == need_id, col(Match.status).in_([MatchStatus.APPROVED, MatchStatus.FULFILLED])
        )
    ).all():
        for user_id in people_of(db, match):
            users[user_id] = None
    return list(users)


def _in_scope(db: Session, actor: CurrentUser, need: Need) -> bool:
    from marketplace.places.models import Grid

    if need.grid_id in actor.grid_ids:
        return True
    grid = db.get(Grid, need.grid_id)
    return grid is not None and actor.community_id is not None and grid.community_id == actor.community_id
