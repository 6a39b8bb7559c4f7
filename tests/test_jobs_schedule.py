"""Scheduled work: MARKETPLACE_SCHEDULE is checked with a clear error, and a scheduled sweep runs on the
workers' clock, recorded as one job row per minute however many workers fire it (real worker processes
on the real Redis; see test_jobs_worker.py)."""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.schedule import DEFAULT_SCHEDULE, ScheduleError, parse_schedule
from marketplace.offers.models import Offer, OfferStatus
from marketplace.settings import Settings, SettingsError
from tests.factories import make_offer
from tests.security_helpers import fetch, make_org
from tests.test_jobs_worker import _redis_answers, jobs_settings, start_worker  # noqa: F401  (fixture)


def test_the_schedule_reads_kind_equals_cron_entries() -> None:
    assert parse_schedule(None) == DEFAULT_SCHEDULE and parse_schedule("  ") == DEFAULT_SCHEDULE
    assert parse_schedule("off") == () and parse_schedule("none") == ()
    assert parse_schedule("offers.expire=*/5 * * * *; needs.escalate = 0 8-18 * * 1-5;") == (
        ("offers.expire", "*/5 * * * *"),
        ("needs.escalate", "0 8-18 * * 1-5"),
    )


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("offers.expire", "is not KIND=CRON"),
        ("rounds=* * * * *", "KIND one of offers.expire, needs.escalate, privacy.retention, match.train"),
        ("offers.expire=every day", "is not a cron expression of five fields"),
        ("offers.expire=61 * * * *", "is not a cron expression"),
        ("offers.expire=* * * * * *", "five fields"),
        ("offers.expire=* * * * *; offers.expire=0 * * * *", "offers.expire is scheduled twice"),
    ],
)
def test_a_malformed_schedule_is_refused_at_start_saying_why(
    value: str, says: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ScheduleError, match=says):
        parse_schedule(value)
    monkeypatch.setenv("MARKETPLACE_SCHEDULE", value)
    with pytest.raises(SettingsError, match="MARKETPLACE_SCHEDULE"):
        Settings.from_env()


@pytest.mark.skipif(not _redis_answers(), reason="no Redis")
def test_a_scheduled_sweep_runs_on_the_workers_and_is_recorded_once_per_minute(
    session: Session,
    jobs_settings: Settings,  # noqa: F811
) -> None:
    offer = make_offer(session, make_org(session), valid_until=utcnow() - timedelta(days=1))
    session.commit()
    every_minute = {"SCHEDULE": "offers.expire=* * * * *"}
    workers = [start_worker(jobs_settings, name, every_minute) for name in ("a", "b")]
    try:
        assert "schedule: offers.expire=* * * * *" in workers[0].output()
        deadline = time.monotonic() + 150
        while not (runs := _scheduled_runs(session)) or runs[0].is_live:
            assert time.monotonic() < deadline, [w.output() for w in workers]
            time.sleep(0.5)
        time.sleep(3)  # the other worker fired the same minute too, if it could
        runs = _scheduled_runs(session)
    finally:
        for worker in workers:
            worker.stop()
    first = runs[0]
    assert first.status is JobStatus.FINISHED and first.result == {"expired": 1}
    assert first.key == f"schedule:offers.expire:{first.arguments['scheduled']}" and first.started_by_id is None
    assert len({run.key for run in runs}) == len(runs)  # one row per minute
    assert fetch(session, Offer, offer.id).status is OfferStatus.EXPIRED


def _scheduled_runs(session: Session) -> list[Job]:
    with Session(session.get_bind()) as db:
        query = sa.select(Job).where(Job.kind == "offers.expire").order_by(Job.id)
        return list(db.execute(query).scalars())
