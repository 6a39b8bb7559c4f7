"""Without Redis the web processes keep MARKETPLACE_SCHEDULE themselves: two real ``marketplace serve --workers
2`` against one database (SQLite, or PostgreSQL with MARKETPLACE_TEST_DATABASE_URL) run the scheduled
``jobs.prune`` exactly once per due minute between their four workers (one job row and one ``job.prune_run``
audit row per minute), the old jobs go, a restart does not run a minute already done, and nothing answers a
5xx meanwhile. Before, nothing ran the schedule without Redis: no row, no prune.

A scheduled run whose process stopped mid-way is taken over by the next pass (attempt 2), in-process below.
"""

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.jobs import backends
from marketplace.jobs.embedded_schedule import EmbeddedSchedule, keeps_schedule, latest_due, minute_of
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.schedule import CRON_TIMEZONE, slot_key
from marketplace.jobs.services import PRUNE_ACTION
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.live_server import LiveServer, start_serve
from tests.security_helpers import make_user

PRUNE_KEYS = "schedule:jobs.prune:%"


def _old_jobs(session: Session, count: int) -> set[int]:
    ended = utcnow() - timedelta(days=40)
    rows = [
        Job(kind="offers.expire", status=JobStatus.FINISHED, finished_at=ended, started_at=ended, attempts=1)
        for _ in range(count)
    ]
    session.add_all(rows)
    session.commit()
    return {row.id or 0 for row in rows}


def _runs(factory: sessionmaker[Session]) -> list[Job]:
    with factory() as db:
        query = sa.select(Job).where(Job.key.like(PRUNE_KEYS)).order_by(Job.key)  # type: ignore[union-attr]
        return list(db.execute(query).scalars())


def _audits(factory: sessionmaker[Session]) -> list[AuditEvent]:
    with factory() as db:
        query = sa.select(AuditEvent).where(AuditEvent.action == PRUNE_ACTION).order_by(AuditEvent.id)
        return list(db.execute(query).scalars())


class Visitor:
    """Asks the servers for pages and the jobs API until stopped, keeping every status it got."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls, self.token, self.statuses = urls, token, []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._visit, daemon=True)

    def __enter__(self) -> "Visitor":
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _visit(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        while not self._stop.wait(0.3):
            for base in self.urls:
                for path in ("/healthz", "/readyz", "/", "/api/v1/jobs?kind=jobs.prune"):
                    try:
                        answer = httpx.get(f"{base}{path}", headers=headers, timeout=30)
                    except httpx.TransportError as error:  # a server stopping: not an answer
                        self.statuses.append((path, repr(error)))
                        continue
                    self.statuses.append((path, answer.status_code))

    def server_errors(self) -> list[tuple[str, object]]:
        return [(path, status) for path, status in self.statuses if isinstance(status, int) and status >= 500]


def _wait(condition, seconds: float, servers: list[LiveServer]) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "\n".join(server.output()[-4000:] for server in servers)
        time.sleep(0.5)


def test_two_servers_prune_once_per_due_minute_and_a_restart_repeats_none(
    session: Session, session_factory: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    old = _old_jobs(session, 3)
    admin = make_user(session, Role.ADMIN)
    admin.street_id = None  # a city admin: the scheduled runs work for every street, they see them
    token, _ = create_api_token(session, user_id=admin.id or 0, name="t", scopes=["jobs:read"], created_by_id=None)
    session.commit()
    var_dir = tmp_path / "var"  # one deployment: the processes share the var dir as they share the database
    settings = {"SECRET_KEY": "embedded-schedule-test", "SCHEDULE": "jobs.prune=* * * * *", "JOB_RETENTION_DAYS": "30"}
    with ThreadPoolExecutor(2) as pool:  # started together, so all four workers race for the first minute
        servers = list(pool.map(lambda _n: start_serve(database_url, var_dir, settings=settings, workers=2), (1, 2)))
    try:
        with Visitor([server.base_url for server in servers], token) as visitor:
            # Until a minute passed with both servers up: its run was raced for by four workers.
            _wait(lambda: len([r for r in _runs(session_factory) if not r.is_live]) >= 2, 150, servers)
            _wait(lambda: not any(r.is_live for r in _runs(session_factory)), 60, servers)
            time.sleep(2)  # a second run of a minute, if any worker were to make one, lands meanwhile
            runs, audits = _runs(session_factory), _audits(session_factory)
    finally:
        for server in servers:
            server.stop()
    assert visitor.server_errors() == []
    assert len(runs) >= 2 and all(run.status is JobStatus.FINISHED for run in runs), [(r.key, r.error) for r in runs]
    assert len(audits) == len(runs), (len(audits), [r.key for r in runs])  # each minute pruned once
    assert sum(int(audit.after["jobs"]) for audit in audits) == 3  # type: ignore[index]
    with session_factory() as db:
        assert not set(db.execute(sa.select(Job.id).where(Job.id.in_(old))).scalars())  # type: ignore[union-attr]
    assert all(run.result == {"jobs": run.result["jobs"], "files": 0} for run in runs)  # type: ignore[index]
    assert all(run.stage == "done" and run.started_by_id is None and run.street_id is None for run in runs)

    # A restart at the last minute done: a daily cron due at that very minute (street time) finds it recorded.
    last = runs[-1].key.rsplit(":", 2)  # type: ignore[union-attr]
    due = datetime.fromisoformat(f"{last[-2]}:{last[-1]}").replace(tzinfo=UTC).astimezone(CRON_TIMEZONE)
    again = {**settings, "SCHEDULE": f"jobs.prune={due.minute} {due.hour} * * *"}
    restarted = start_serve(database_url, var_dir, settings=again, workers=2)
    try:
        minute = runs[-1].arguments["scheduled"]
        done = re.compile(rf"scheduled jobs\.prune due {re.escape(minute)}: already recorded")
        _wait(lambda: len(done.findall(restarted.output())) >= 2, 60, [restarted])  # both workers looked
        time.sleep(1)
        assert len(_runs(session_factory)) == len(runs) and len(_audits(session_factory)) == len(audits)
        answer = httpx.get(
            f"{restarted.base_url}/api/v1/jobs?kind=jobs.prune", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200 and answer.json()["total"] == len(runs)
    finally:
        restarted.stop()


def test_a_scheduled_run_whose_process_stopped_is_taken_over_once(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """A prune left running by a process that died (its heartbeat stale): the next pass of any process claims it
    again (attempt 2) and it finishes; a second pass, or a second process, does not run it again."""
    from dataclasses import replace

    kept = replace(settings, schedule=(("jobs.prune", "45 3 * * *"),), job_stale_seconds=2, redis_url=None)
    assert keeps_schedule(kept) and not keeps_schedule(replace(kept, redis_url="redis://127.0.0.1:1/0"))
    now = utcnow()
    minute = minute_of(latest_due("45 3 * * *", now))
    stale = now - timedelta(seconds=30)
    row = Job(
        kind="jobs.prune",
        key=slot_key("jobs.prune", minute),
        arguments={"scheduled": minute},
        status=JobStatus.RUNNING,
        attempts=1,
        claimed_by="gone:1:x",
        started_at=stale,
        heartbeat_at=stale,
    )
    session.add(row)
    session.commit()
    first, second = (EmbeddedSchedule(kept, session_factory, session_factory) for _ in range(2))
    assert first.tick() == [row.id]  # its minute is recorded: not a new run, the stopped one taken over
    assert backends.wait(row.id, timeout=60)
    assert second.tick() == [] and first.tick() == []
    with session_factory() as db:
        done = db.get(Job, row.id)
        assert done is not None and done.status is JobStatus.FINISHED and done.attempts == 2
        assert db.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one() == 1
    assert len(_audits(session_factory)) == 1


@pytest.mark.parametrize(
    ("cron", "now", "due"),
    [
        ("45 3 * * *", datetime(2026, 12, 7, 2, 30, tzinfo=UTC), "2026-12-06T19:45"),  # 03:45 street time
        ("*/15 * * * *", datetime(2026, 12, 7, 2, 30, 0, tzinfo=UTC), "2026-12-07T02:30"),  # due this very instant
        ("*/15 * * * *", datetime(2026, 12, 7, 2, 29, 59, tzinfo=UTC), "2026-12-07T02:15"),
    ],
)
def test_the_latest_due_minute_is_read_in_street_time(cron: str, now: datetime, due: str) -> None:
    assert minute_of(latest_due(cron, now)) == due
