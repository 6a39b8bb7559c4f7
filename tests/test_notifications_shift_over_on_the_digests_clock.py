"""Whether a shift is over, for a reminder's "Next: check in", is read on the clock the reading runs on.

The daily digest job runs for a moment (``send_digests(db, now)``: the scheduler's time, a test's or a demo's),
and counts the unread notifications that still wait at that moment. The "handled" rule read "the shift is over"
on the wall clock instead: a digest run for the evening counted the reminder of a shift that had ended that
afternoon ("Reminder: you have 1 shift coming"), and one run for a moment before the shift's end left out a
reminder that still waited then. Now the rule reads "over" at the digest's ``now``; the centre and the badge,
which have no other moment than the app's clock, read it there.
"""

from datetime import timedelta

from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.notifications import daily
from marketplace.notifications.centre import unread_entries
from marketplace.notifications.outbox import send
from marketplace.notifications.payloads import match_payload
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.security_helpers import make_grid, reading

TITLE = "湖岛街道楼道照明改造"


def _reminded(session: Session, *, starts_in_hours: float, hours: float, told_hours_ago: float) -> int:
    """A volunteer with a confirmed place on a shift, reminded ``told_hours_ago``; returns their user id."""
    grid = make_grid(session)
    need = mf.project(session, grid, title=TITLE)
    shift = mf.shift(session, need, starts_in_hours=starts_in_hours)
    shift.ends_at = shift.starts_at + timedelta(hours=hours)
    volunteer, profile = mf.volunteer(session, grid)
    match = Match(
        need_id=shift.need_id,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.VOLUNTEER_SIGNUP,
        shift_id=shift.id,
        volunteer_id=profile.id,
        status=MatchStatus.APPROVED,
    )
    session.add(match)
    session.flush()
    session.add(
        ShiftSignup(
            shift_id=shift.id or 0, volunteer_id=profile.id or 0, match_id=match.id, status=SignupStatus.CONFIRMED
        )
    )
    user_id = volunteer.user.id or 0
    row = send(
        session,
        user_id,
        "shift_reminder",
        match_payload(session, match),
        echo=False,
        subject_type="shift",
        subject_id=shift.id,
        digest_key=f"shift_reminder:shift:{shift.id}",
    )
    row.created_at = utcnow() - timedelta(hours=told_hours_ago)
    session.commit()
    return user_id


def test_a_digest_run_after_the_shift_ended_leaves_its_reminder_out(session: Session) -> None:
    # The shift runs from 1 to 3 hours from now; the digest is run for 4 hours from now.
    user_id = _reminded(session, starts_in_hours=1, hours=2, told_hours_ago=1)
    with reading(session) as db:
        assert unread_entries(db, user_id) == 1  # now, on the app's clock, it still waits
        assert daily.unread_by_kind(db, utcnow() + timedelta(hours=4)).get(user_id) is None
        assert daily.unread_by_kind(db, utcnow() + timedelta(hours=2)) == {user_id: {"shift_reminder": 1}}


def test_a_digest_run_for_a_moment_before_the_shift_ended_counts_it(session: Session) -> None:
    # The shift ran from 5 to 3 hours ago; the reminder came 6 hours ago; the digest is run for 4 hours ago.
    user_id = _reminded(session, starts_in_hours=-5, hours=2, told_hours_ago=6)
    with reading(session) as db:
        assert unread_entries(db, user_id) == 0  # now it is over
        assert daily.unread_by_kind(db, utcnow() - timedelta(hours=4)) == {user_id: {"shift_reminder": 1}}
        sent = daily.send_digests(db, utcnow() - timedelta(hours=4))
        assert sent == {"users": 1, "sent": 1}
        db.rollback()
