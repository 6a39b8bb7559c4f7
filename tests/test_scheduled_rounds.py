"""A street's matching rounds on a schedule: a street admin sets weekdays and a time (street clock) on the
rounds page or through the API; the scheduled sweep starts the due round once, however many sweeps run at
once, marked as the schedule's; a schedule just saved waits for its next time; a street whose round is still
live keeps it; bad input names its field and saves nothing; another street's schedule is out of reach."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.jobs import backends, runner
from marketplace.jobs import services as jobs_services
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.schemas import result_sentences
from marketplace.places.models import Street
from marketplace.rounds import schedule, worker
from marketplace.rounds.models import MatchRound, RoundMethod, RoundSchedule, RoundStatus
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.security_helpers import (
    audit_events,
    default_street,
    fetch,
    login,
    make_user,
    post_form,
    reading,
)

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
MONDAY_THURSDAY = {"enabled": "on", "weekdays": ["mon", "thu"], "at": "09:00", "method": "optimal", "k": "20"}


@pytest.fixture(autouse=True)
def no_round_outlives_its_test() -> Any:
    yield
    worker.wait(timeout=60)
    backends.wait(timeout=60)


def _streets(session: Session) -> tuple[Street, Street]:
    a = default_street(session)
    b = Street(code="sched-b", name="八大关街道", name_en="Badaguan Street", district="市南区", city="青岛市")
    session.add(b)
    session.commit()
    return a, b


def _admin(session: Session, street: Street | None, name: str) -> User:
    user = make_user(session, Role.ADMIN, username=name)
    if street is None or street.id != user.street_id:
        with session_scope(sessionmaker(bind=session.get_bind(), class_=Session)) as db:
            db.execute(sa.update(User).where(User.id == user.id).values(street_id=street.id if street else None))
    return user


def _sign_in(client: TestClient[Any], user: User) -> None:
    assert login(client, user.username, "correct horse battery staple").status_code in (302, 303)


def _rounds(session: Session) -> list[MatchRound]:
    with reading(session) as db:
        return list(db.execute(sa.select(MatchRound).order_by(MatchRound.id)).scalars())


def _save(session: Session, street: Street, **fields: Any) -> None:
    wanted = schedule.choice(
        fields.get("enabled", True),
        schedule.weekday_bits(fields.get("weekdays", ["mon", "thu"])),
        schedule.minute_of_day(fields.get("at", "09:00")),
        RoundMethod(fields.get("method", "optimal")),
        fields.get("k", 20),
    )
    with session_scope(sessionmaker(bind=session.get_bind(), class_=Session)) as db:
        schedule.save(db, street.id or 0, wanted, actor_id=None, actor_role="admin")


def _sweep(session: Session, now: datetime) -> list[schedule.Started]:
    with session_scope(sessionmaker(bind=session.get_bind(), class_=Session)) as db:
        return schedule.start_due(db, now)


def test_a_slot_is_a_time_on_the_street_clock() -> None:
    # Monday 2026-12-07 09:30 in Qingdao is 01:30 UTC; Monday 09:00 Qingdao is 01:00 UTC.
    monday_0930 = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)
    bits = schedule.weekday_bits(["mon", "thu"])
    assert schedule.latest_slot(bits, 9 * 60, monday_0930) == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    assert schedule.next_slot(bits, 9 * 60, monday_0930) == datetime(2026, 12, 10, 1, 0, tzinfo=UTC)
    # Sunday 23:30 UTC is already Monday 07:30 in Qingdao: Monday's 09:00 is next, the last was Thursday's.
    sunday_night_utc = datetime(2026, 12, 6, 23, 30, tzinfo=UTC)
    assert schedule.next_slot(bits, 9 * 60, sunday_night_utc) == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    assert schedule.latest_slot(bits, 9 * 60, sunday_night_utc) == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert schedule.latest_slot(0, 9 * 60, monday_0930) is None


def test_an_admin_sets_the_schedule_on_the_rounds_page_in_either_language(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    a, _b = _streets(session)
    admin = _admin(session, a, "sched-admin")
    _sign_in(client, admin)

    page = client.get("/rounds", headers=ZH)
    assert page.status_code == 200 and "定时开始一轮匹配" in page.text and "未设定时" in page.text

    saved = post_form(client, settings, "/rounds/schedule", {"street": a.code, **MONDAY_THURSDAY})
    assert saved.status_code == 303, saved.text[:500]
    row = fetch(session, RoundSchedule, a.id)
    assert (row.enabled, row.weekdays, row.at_minute, row.k) == (True, 0b1001, 540, 20)

    zh = client.get(saved.headers["location"], headers=ZH).text
    assert "定时设置已保存。" in zh and "每周一、周四 09:00。" in zh and "下一轮匹配：" in zh
    en = client.get("/rounds", headers=EN).text
    assert "Every Mon, Thu at 09:00." in en and "Next round:" in en
    [event] = audit_events(session, "round_schedule.update")
    assert event.actor_id == admin.id and event.after["weekdays"] == ["mon", "thu"]  # type: ignore[index]
    assert event.after["at"] == "09:00"  # type: ignore[index]

    stopped = post_form(client, settings, "/rounds/schedule", {**MONDAY_THURSDAY, "street": a.code, "enabled": ""})
    assert stopped.status_code == 303
    assert fetch(session, RoundSchedule, a.id).enabled is False
    assert "Not on a schedule" in client.get("/rounds", headers=EN).text


@pytest.mark.parametrize(
    ("change", "field", "zh_sentence"),
    [
        ({"weekdays": []}, "weekdays", "请至少选择一天来开始一轮匹配。"),
        ({"weekdays": ["mon", "someday"]}, "weekdays", "不是星期几"),
        ({"at": "25:00"}, "at", "请按“时:分”输入时刻"),
        ({"at": "nine"}, "at", "请按“时:分”输入时刻"),
        ({"k": "0"}, "k", "请输入1到50之间的整数"),
        ({"method": "lottery"}, "method", "方案"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_saved(
    client: TestClient[Any], session: Session, settings: Settings, change: dict[str, Any], field: str, zh_sentence: str
) -> None:
    a, _b = _streets(session)
    _sign_in(client, _admin(session, a, "sched-wrong"))
    refused = post_form(
        client, settings, "/rounds/schedule", {"street": a.code, **MONDAY_THURSDAY, **change}, headers=ZH
    )
    assert refused.status_code == 400
    assert zh_sentence in refused.text and 'class="field-error"' in refused.text
    assert fetch(session, RoundSchedule, a.id) is None
    assert audit_events(session, "round_schedule.update") == []


def test_another_streets_schedule_is_out_of_reach(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    a, b = _streets(session)
    _save(session, b, weekdays=["sun"], at="18:00")
    _sign_in(client, _admin(session, a, "sched-a"))
    page = client.get("/rounds", headers=EN).text
    assert "Badaguan" not in page
    refused = post_form(client, settings, "/rounds/schedule", {"street": b.code, **MONDAY_THURSDAY}, headers=EN)
    assert refused.status_code == 400 and "Choose one of your streets." in refused.text
    row = fetch(session, RoundSchedule, b.id)
    assert (row.weekdays, row.at_minute) == (schedule.weekday_bits(["sun"]), 18 * 60)

    staff = make_user(session, Role.STAFF, username="sched-staff")
    client.cookies.clear()
    _sign_in(client, staff)
    assert post_form(client, settings, "/rounds/schedule", {"street": a.code, **MONDAY_THURSDAY}).status_code == 403
    assert fetch(session, RoundSchedule, a.id) is None


def test_the_sweep_starts_a_due_round_once_and_a_new_schedule_waits_for_its_time(session: Session) -> None:
    a, b = _streets(session)
    _save(session, a)
    _save(session, b, enabled=False)
    now = utcnow()
    assert _sweep(session, now) == []  # saved just now: the times already past are not run late
    assert _rounds(session) == []

    a_week_on = now + timedelta(days=7)
    [started] = _sweep(session, a_week_on)
    assert started.street_id == a.id and started.round_id is not None
    assert started.slot == schedule.latest_slot(schedule.weekday_bits(["mon", "thu"]), 540, a_week_on)
    [row] = _rounds(session)
    assert (row.street_id, row.scheduled, row.started_by_id, row.status) == (a.id, True, None, RoundStatus.QUEUED)
    assert _sweep(session, a_week_on) == []  # the slot is taken
    assert fetch(session, RoundSchedule, a.id).last_round_id == row.id


def test_a_street_whose_round_is_live_keeps_it(session: Session) -> None:
    a, _b = _streets(session)
    _save(session, a)
    with session_scope(sessionmaker(bind=session.get_bind(), class_=Session)) as db:
        from marketplace.rounds import services

        live = services.start(db, method=RoundMethod.OPTIMAL, k=20, started_by_id=None, street_id=a.id)
        live_id = live.id
    [started] = _sweep(session, utcnow() + timedelta(days=7))
    assert started.round_id is None
    assert [row.id for row in _rounds(session)] == [live_id]
    assert _sweep(session, utcnow() + timedelta(days=7)) == []  # that time is over, not retried


def test_sweeps_running_at_once_start_one_round(session: Session) -> None:
    a, _b = _streets(session)
    _save(session, a)
    when = utcnow() + timedelta(days=7)
    barrier = threading.Barrier(4)
    results: list[list[schedule.Started]] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait(10)
            results.append(_sweep(session, when))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=sweep) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    assert sum(len(found) for found in results) == 1
    assert len(_rounds(session)) == 1


def test_the_scheduled_job_runs_the_round_and_the_page_says_who_started_it(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    a, _b = _streets(session)
    _save(session, a, weekdays=["mon", "tue", "wed", "thu", "fri", "sat", "sun"], at="00:00")
    with session_scope(session_factory) as db:  # a week passes without a sweep
        db.execute(sa.update(RoundSchedule).values(last_slot=utcnow() - timedelta(days=8)))
        job_id = jobs_services.enqueue(db, "rounds.schedule", {}, key="schedule:rounds.schedule:test").id or 0
    assert runner.run(job_id, session_factory, session_factory, settings) == "finished"
    backends.wait(timeout=60)
    job = fetch(session, Job, job_id)
    assert job.status == JobStatus.FINISHED and job.result["started"] == 1
    [row] = _rounds(session)
    assert row.status == RoundStatus.FINISHED and row.scheduled
    round_jobs = [j for j in _jobs(session) if j.kind == "match.round"]
    assert [j.status for j in round_jobs] == [JobStatus.FINISHED] and round_jobs[0].street_id == a.id

    _sign_in(client, _admin(session, a, "sched-reader"))
    assert "街道定时设置" in client.get(f"/rounds/{row.id}", headers=ZH).text
    assert "the street&#39;s schedule" in client.get("/rounds", headers=EN).text
    with reading(session) as db:
        job_row = db.get(Job, job_id)
        assert job_row is not None
        with_locale = result_sentences(job_row)
    assert any("1 scheduled round started." in str(s) or "定时开始 1 轮匹配" in str(s) for s in with_locale)


def _jobs(session: Session) -> list[Job]:
    with reading(session) as db:
        return list(db.execute(sa.select(Job).order_by(Job.id)).scalars())


def test_the_api_reads_and_sets_a_streets_schedule(client: TestClient[Any], session: Session) -> None:
    a, b = _streets(session)
    admin = _admin(session, a, "sched-api")
    secret, _ = create_api_token(
        session, user_id=admin.id or 0, name="sched", scopes=["jobs:read", "jobs:write"], created_by_id=None
    )
    reader_secret, _ = create_api_token(
        session, user_id=admin.id or 0, name="sched-r", scopes=["jobs:read"], created_by_id=None
    )
    session.commit()
    auth = {"Authorization": f"Bearer {secret}"}
    body = {"enabled": True, "weekdays": ["tue"], "at": "14:30", "method": "greedy", "k": 10}

    put = client.put(f"/api/v1/rounds/schedules/{a.code}", json=body, headers=auth)
    assert put.status_code == 200, put.text
    assert put.json() | {"next_at": None} == {
        "street": a.code,
        "enabled": True,
        "weekdays": ["tue"],
        "at": "14:30",
        "method": "greedy",
        "k": 10,
        "next_at": None,
        "last_round_id": None,
    }
    assert datetime.fromisoformat(put.json()["next_at"]).astimezone(schedule.STREET_TIMEZONE).strftime("%a %H:%M") == (
        "Tue 14:30"
    )
    listed = client.get("/api/v1/rounds/schedules", headers=auth).json()["items"]
    assert [item["street"] for item in listed] == [a.code]

    for change, field, code in (
        ({"weekdays": ["funday"]}, "weekdays", "unknown_weekday"),
        ({"weekdays": []}, "weekdays", "no_weekday"),
        ({"at": "24:00"}, "at", "not_a_time"),
        ({"k": 0}, "k", None),
    ):
        refused = client.put(f"/api/v1/rounds/schedules/{a.code}", json=body | change, headers=auth | EN)
        assert refused.status_code == 400, (change, refused.text)
        [entry] = refused.json()["extra"]
        assert entry["key"] == field and (code is None or entry["code"] == code)
    assert fetch(session, RoundSchedule, a.id).weekdays == schedule.weekday_bits(["tue"])

    other = client.put(f"/api/v1/rounds/schedules/{b.code}", json=body, headers=auth)
    assert other.status_code == 400 and other.json()["extra"][0]["key"] == "street"
    assert fetch(session, RoundSchedule, b.id) is None
    read_only = client.put(
        f"/api/v1/rounds/schedules/{a.code}", json=body, headers={"Authorization": f"Bearer {reader_secret}"}
    )
    assert read_only.status_code == 403
