"""/admin/jobs shows what runs on the clock: each scheduled kind with its last run (when, how it ended) and
when it is next due, in both languages. The scheduled sweeps work for every street at once, so a street
admin sees them too (their street's jobs list alone was "0 jobs" on a street with scheduled work), but only
the runs that concern their streets, without the figures or pages of work covering every street; a city
admin sees every run with its figures and page. An empty list says what will appear there. The page writes
nothing."""

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.jobs.embedded_schedule import next_due
from marketplace.jobs.models import Job, JobStatus
from marketplace.settings import Settings
from tests.security_world import changed_tables, table_checksums, use
from tests.street_fixtures import build_two_streets

pytestmark = pytest.mark.xdist_group("street_separation")

SCHEDULE = (
    ("offers.expire", "*/15 * * * *"),
    ("shifts.remind", "*/15 * * * *"),
    ("notifications.digest", "0 18 * * *"),
)


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, schedule=SCHEDULE)


def _run(session: Session, kind: str, street_id: int | None, minutes_ago: int, **fields: Any) -> Job:
    ended = (utcnow() - timedelta(minutes=minutes_ago)).replace(microsecond=0)
    minute = ended.strftime("%Y-%m-%dT%H:%M")
    row = Job(
        kind=kind,
        arguments={"scheduled": minute},
        key=f"schedule:{kind}:{minute}" + (f":{street_id}" if street_id else ""),
        street_id=street_id,
        status=fields.pop("status", JobStatus.FINISHED),
        started_at=ended - timedelta(seconds=2),
        finished_at=ended,
        attempts=1,
        **fields,
    )
    session.add(row)
    session.commit()
    return row


def _due_times(cron: str, before: Any) -> set[str]:
    """The next due time as the page writes it, read before or after the request (a minute may turn)."""
    return {next_due(cron, before).isoformat(), next_due(cron, utcnow()).isoformat()}


def test_a_street_admin_sees_the_schedule_that_concerns_their_street_and_writes_nothing(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clean_engine: sa.Engine,
) -> None:
    world = build_two_streets(session, session_factory, settings)
    b = world.b.street.id
    sweep = _run(session, "offers.expire", None, 40, result={"expired": 7})
    everywhere = _run(session, "shifts.remind", None, 30, result={"sent": 2})
    b_only = _run(session, "shifts.remind", b, 5, status=JobStatus.FAILED, error="B's own failure")

    use(client, world.identities["admin A"])
    client.cookies.set("lang", "en")
    before_checksums, before = table_checksums(clean_engine), utcnow()
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert changed_tables(before_checksums, table_checksums(clean_engine)) == []
    text = page.text
    assert "On the schedule" in text and "0 jobs" in text
    for label in ("Offer expiry", "Shift reminders", "Daily notification digest"):
        assert label in text, label
    assert sweep.finished_at is not None and f'datetime="{sweep.finished_at.isoformat()}"' in text
    assert everywhere.finished_at is not None and f'datetime="{everywhere.finished_at.isoformat()}"' in text
    # Street B's run is not A's: A's last shift reminders run is the deployment-wide one.
    assert b_only.finished_at is not None and b_only.finished_at.isoformat() not in text
    assert "B's own failure" not in text and "BRAVOMARK" not in text
    # The sweeps' figures and pages cover every street: not a street admin's.
    assert "7 offers expired" not in text and f'href="/admin/jobs/{sweep.id}"' not in text
    assert "only a city admin sees them" in text
    assert "not run yet" in text  # the digest
    for _kind, cron in SCHEDULE:
        assert _due_times(cron, before) & {value for value in _datetimes(text)}, cron
    assert "No job of your street yet" in text and "On the schedule" in text

    client.cookies.set("lang", "zh_CN")
    text = client.get("/admin/jobs").text
    assert "定时任务" in text and "上次运行：" in text and "下次运行：" in text and "尚未运行" in text
    assert "您的街道暂无任务" in text and "每日消息汇总" in text


def test_a_city_admin_sees_every_scheduled_run_with_its_figures_and_page(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    sweep = _run(session, "offers.expire", None, 40, result={"expired": 7})
    b_only = _run(session, "shifts.remind", world.b.street.id, 5, status=JobStatus.FAILED, error="boom")

    use(client, world.identities["city admin"])
    client.cookies.set("lang", "en")
    text = client.get("/admin/jobs").text
    assert f'href="/admin/jobs/{sweep.id}"' in text and "7 offers expired" in text
    assert b_only.finished_at is not None and f'datetime="{b_only.finished_at.isoformat()}"' in text
    assert "each run is also listed below" in text


def test_without_a_schedule_or_jobs_the_page_says_what_will_appear(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, dataclasses.replace(settings, schedule=()))
    client.app.state.settings = dataclasses.replace(settings, schedule=())
    use(client, world.identities["city admin"])
    client.cookies.set("lang", "en")
    text = client.get("/admin/jobs").text
    assert "Nothing runs on a schedule in this deployment" in text
    assert "No job has run yet" in text
    assert "No jobs match." in client.get("/admin/jobs", params={"status": "failed"}).text
    client.cookies.set("lang", "zh_CN")
    text = client.get("/admin/jobs").text
    assert "本系统未设置定时任务" in text and "尚未运行任何任务" in text


def _datetimes(text: str) -> list[str]:
    import re

    return re.findall(r'datetime="([^"]+)"', text)
