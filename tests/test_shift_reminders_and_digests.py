"""Shift reminders (issue 15) and daily digests (issue 14) as scheduled jobs.

A confirmed volunteer gets one reminder of a shift that starts within the lead time, in their language,
naming the task, the start in street time and the place, linking to the project; none for a cancelled
sign-up, a cancelled shift or one already started; a shift moved to another time is reminded again.
The database makes it once: two sweeps racing (threads with their own connections) send one reminder
each, and a second insert of the same key waits for the first and inserts nothing. Once a day each user
with unread news gets one digest counting it by kind, at most once per day. Both kinds run as jobs
recorded like the other scheduled kinds.
"""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.jobs import runner, services
from marketplace.jobs.kinds import KINDS
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.schedule import DEFAULT_SCHEDULE, SCHEDULABLE, parse_schedule
from marketplace.needs.models import Shift
from marketplace.notifications import daily
from marketplace.notifications.digest import day_bounds, street_day
from marketplace.notifications.models import Notification
from marketplace.notifications.outbox import send, send_once, sentence
from marketplace.settings import Settings, SettingsError
from marketplace.street_clock import STREET_TIMEZONE
from marketplace.volunteers import reminders
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile, VolunteerSegment
from tests import matches_factories as mf
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, make_user, reading

RACERS = 4


def _volunteer_on(session: Session, shift: Shift, status: SignupStatus = SignupStatus.CONFIRMED, **user: Any) -> Any:
    grid = make_grid(session)
    person = make_user(session, Role.VOLUNTEER, **user)
    profile = VolunteerProfile(user_id=person.id or 0, home_grid_id=grid.id or 0, segment=VolunteerSegment.RESIDENT)
    session.add(profile)
    session.flush()
    signup = ShiftSignup(shift_id=shift.id or 0, volunteer_id=profile.id or 0, status=status)
    session.add(signup)
    session.commit()
    return person, signup


def _reminders(session: Session) -> list[Notification]:
    with reading(session) as db:
        query = sa.select(Notification).where(Notification.kind == reminders.KIND).order_by(Notification.id)
        return list(db.execute(query).scalars())


def _sweep(factory: sessionmaker[Session], now: datetime | None = None, hours: int = 24) -> dict[str, int]:
    with session_scope(factory) as db:
        return reminders.send_reminders(db, now or utcnow(), hours)


def test_both_kinds_are_schedulable_and_in_the_default_schedule(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {"shifts.remind", "notifications.digest"} <= set(SCHEDULABLE) <= set(KINDS)
    assert ("shifts.remind", "*/15 * * * *") in DEFAULT_SCHEDULE
    assert ("notifications.digest", "0 18 * * *") in DEFAULT_SCHEDULE
    assert parse_schedule("shifts.remind=*/5 * * * *; notifications.digest=30 19 * * *") == (
        ("shifts.remind", "*/5 * * * *"),
        ("notifications.digest", "30 19 * * *"),
    )
    assert Settings.from_env().shift_reminder_hours == 24
    monkeypatch.setenv("MARKETPLACE_SHIFT_REMINDER_HOURS", "6")
    assert Settings.from_env().shift_reminder_hours == 6
    for wrong in ("0", "200", "soon"):
        monkeypatch.setenv("MARKETPLACE_SHIFT_REMINDER_HOURS", wrong)
        with pytest.raises(SettingsError, match="MARKETPLACE_SHIFT_REMINDER_HOURS"):
            Settings.from_env()


def test_a_confirmed_volunteer_is_reminded_once_in_their_language(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    need = mf.project(session, title="楼道清理")
    shift = mf.shift(session, need, starts_in_hours=5, title="清扫楼道", location="3号楼门口")
    person, signup = _volunteer_on(session, shift, preferred_locale="en")
    later = mf.shift(session, need, starts_in_hours=30, title="后天的班")
    _volunteer_on(session, later)  # starts after the lead time: not yet
    started = mf.shift(session, need, starts_in_hours=2)
    session.execute(sa.update(Shift).where(Shift.id == started.id).values(starts_at=utcnow() - timedelta(minutes=5)))
    session.commit()
    _volunteer_on(session, started)  # already started: no reminder
    cancelled_shift = mf.shift(session, need, starts_in_hours=3, cancelled_at=utcnow(), cancel_reason="下雨")
    _volunteer_on(session, cancelled_shift)
    _volunteer_on(session, shift, SignupStatus.CANCELLED)
    _volunteer_on(session, shift, SignupStatus.PENDING)

    assert _sweep(session_factory) == {"due": 1, "sent": 1}
    assert _sweep(session_factory) == {"due": 1, "sent": 0}  # a rerun sends nothing again
    [note] = _reminders(session)
    assert note.user_id == person.id and note.subject_type == "shift" and note.subject_id == shift.id
    assert note.once_key == reminders.once_key(signup.id, shift.starts_at)
    assert note.payload["location"] == "3号楼门口" and note.payload["need_id"] == need.id

    street_start = shift.starts_at.astimezone(STREET_TIMEZONE)
    english = sentence(note.kind, note.payload, "en")
    assert "Reminder" in english and "清扫楼道" in english and "楼道清理" in english, english
    assert street_start.strftime("%H:%M") in english and "3号楼门口" in english
    chinese = sentence(note.kind, note.payload, "zh_CN")
    assert "提醒" in chinese and street_start.strftime("%H:%M") in chinese and "3号楼门口" in chinese, chinese

    # The volunteer reads it in their centre, in English, linking to the project.
    assert login(client, person.username, DEFAULT_PASSWORD).status_code in (302, 303)
    page = client.get("/notifications")
    assert page.status_code == 200 and "3号楼门口" in page.text and f"/projects/{need.id}" in page.text


def test_a_shift_moved_to_another_time_is_reminded_again(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    need = mf.project(session)
    shift = mf.shift(session, need, starts_in_hours=4)
    _volunteer_on(session, shift)
    assert _sweep(session_factory)["sent"] == 1
    moved = shift.starts_at + timedelta(hours=2)
    session.execute(
        sa.update(Shift).where(Shift.id == shift.id).values(starts_at=moved, ends_at=moved + timedelta(hours=3))
    )
    session.commit()
    assert _sweep(session_factory)["sent"] == 1
    assert _sweep(session_factory)["sent"] == 0
    starts = sorted(note.payload["starts_at"] for note in _reminders(session))
    assert len(starts) == 2 and starts[1] == moved.astimezone(UTC).isoformat()


def test_racing_sweeps_send_one_reminder_per_sign_up(session: Session, session_factory: sessionmaker[Session]) -> None:
    need = mf.project(session)
    shifts = [mf.shift(session, need, starts_in_hours=2 + n) for n in range(3)]
    signups = [_volunteer_on(session, shift)[1] for shift in shifts for _ in range(2)]
    barrier = threading.Barrier(RACERS)
    results: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def racer() -> None:
        try:
            barrier.wait()
            results.append(_sweep(session_factory))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=racer) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    assert sum(result["sent"] for result in results) == len(signups)
    sent = _reminders(session)
    assert sorted(note.payload["signup_id"] for note in sent) == sorted(signup.id for signup in signups)


def test_the_database_lets_one_of_two_open_inserts_of_a_key_in(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    """The second insert waits for the first transaction (PostgreSQL) and then inserts nothing."""
    user = make_user(session, Role.VOLUNTEER)
    session.commit()
    arguments: dict[str, Any] = {
        "once_key": "test:once:1",
        "subject_type": "user",
        "subject_id": user.id or 0,
        "digest_key": "test",
    }
    first = session_factory()
    outcome: list[bool] = []
    try:
        assert send_once(first, user.id or 0, "shift_reminder", {}, **arguments) is True

        def second() -> None:
            with session_scope(session_factory) as db:
                outcome.append(send_once(db, user.id or 0, "shift_reminder", {}, **arguments))

        thread = threading.Thread(target=second)
        if session.get_bind().dialect.name == "postgresql":
            thread.start()
            thread.join(1)
            assert thread.is_alive()  # waiting for the first transaction's key
            first.commit()
        else:
            first.commit()  # SQLite serialises writers: the second starts after the first committed
            thread.start()
        thread.join(60)
    finally:
        first.close()
    assert outcome == [False]
    with reading(session) as db:
        count = db.execute(sa.select(sa.func.count()).where(Notification.once_key == "test:once:1")).scalar_one()
    assert count == 1


def _run_kind(session: Session, session_factory: sessionmaker[Session], settings: Settings, kind: str) -> Job:
    with session_scope(session_factory) as db:
        job_id = services.enqueue(db, kind, {"scheduled": "test"}, key=f"schedule:{kind}:test").id or 0
    assert runner.run(job_id, session_factory, session_factory, settings) == "finished"
    with reading(session) as db:
        row = db.get(Job, job_id)
        assert row is not None
        db.expunge(row)
        return row


def test_reminders_run_as_a_recorded_job(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    need = mf.project(session)
    _volunteer_on(session, mf.shift(session, need, starts_in_hours=1))
    row = _run_kind(session, session_factory, settings, "shifts.remind")
    assert row.status is JobStatus.FINISHED and row.result == {"due": 1, "sent": 1} and row.street_id is None
    assert len(_reminders(session)) == 1


def _digests(session: Session) -> list[Notification]:
    with reading(session) as db:
        query = sa.select(Notification).where(Notification.kind == daily.KIND).order_by(Notification.id)
        return list(db.execute(query).scalars())


def test_a_daily_digest_counts_each_users_unread_news_once_a_day(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    reader = make_user(session, Role.VOLUNTEER, preferred_locale="zh_CN")
    quiet = make_user(session, Role.VOLUNTEER)
    done = make_user(session, Role.VOLUNTEER)
    for _ in range(3):
        send(session, reader.id or 0, "signup_confirmed", {"need_title": "楼道清理"}, echo=False)
    send(session, reader.id or 0, "need_closed", {"need_title": "楼道清理"}, echo=False)
    old = send(session, quiet.id or 0, "need_closed", {}, echo=False)
    old.created_at = utcnow() - timedelta(days=2)  # older than a day: yesterday's digest's business
    read = send(session, done.id or 0, "need_closed", {}, echo=False)
    read.read_at = utcnow()
    session.commit()

    row = _run_kind(session, session_factory, settings, "notifications.digest")
    assert row.status is JobStatus.FINISHED and row.result == {"users": 1, "sent": 1}
    [digest] = _digests(session)
    assert digest.user_id == reader.id and digest.payload["total"] == 4
    assert digest.payload["kinds"] == {"signup_confirmed": 3, "need_closed": 1}
    chinese = sentence(digest.kind, digest.payload, "zh_CN")
    assert "今天您有 4 条未读消息" in chinese and "/notifications" not in chinese, chinese
    english = sentence(digest.kind, digest.payload, "en")
    assert "You have 4 unread messages today" in english and "3 of your sign-ups were confirmed" in english

    # Once a day: a second run the same day sends nothing, even with news since.
    send(session, reader.id or 0, "need_closed", {}, echo=False)
    session.commit()
    with session_scope(session_factory) as db:
        assert daily.send_digests(db, utcnow()) == {"users": 1, "sent": 0}
    # The next street day counts only what came after the last digest.
    tomorrow, _end = day_bounds(street_day(utcnow()) + timedelta(days=1))
    with session_scope(session_factory) as db:
        assert daily.send_digests(db, tomorrow) == {"users": 1, "sent": 1}
    latest = _digests(session)[-1]
    assert latest.payload["total"] == 1 and latest.payload["kinds"] == {"need_closed": 1}

    # The reader finds it in the centre, linking to /notifications.
    assert login(client, reader.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", "zh_CN")
    page = client.get("/notifications")
    assert page.status_code == 200 and "条未读消息" in page.text
