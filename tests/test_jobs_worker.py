"""``marketplace worker`` as real processes on the real Redis (127.0.0.1:6379) and the test database.

A worker killed with SIGKILL mid-job is replaced and the job finishes once, its effect written once (the
new worker's reclaim scan finds the silent row after MARKETPLACE_JOB_STALE_SECONDS and claims it again);
two workers handed the same job run it once; a round started on the admins' page runs on the worker,
its progress on the page. Each test has its own queue name, so parallel tests never take each other's jobs.
"""

import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.engine import session_scope
from marketplace.jobs import backends, services
from marketplace.jobs.models import Job, JobStatus
from marketplace.rounds.models import MatchRound, RoundStatus
from marketplace.settings import Settings
from tests.live_app import start_live_app
from tests.live_server import PROJECT_ROOT
from tests.security_helpers import DEFAULT_PASSWORD, audit_events, csrf_from, fetch, make_user
from tests.test_rounds import _street

REDIS_URL = os.environ.get("MARKETPLACE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STALE_SECONDS = 2


def _redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


pytestmark = pytest.mark.skipif(not _redis_answers(), reason=f"no Redis at {REDIS_URL}")


@pytest.fixture
def jobs_settings(settings: Settings) -> Iterator[Settings]:
    """The suite's settings with Redis and a queue of this test's own; its keys are removed afterwards."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    yield dataclasses.replace(settings, redis_url=REDIS_URL, job_queue=queue, job_stale_seconds=STALE_SECONDS)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"saq:{queue}*"):
        client.delete(key)


@dataclasses.dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL: no shutdown hook, no chance to mark anything."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.kill()


def start_worker(settings: Settings, name: str, extra: dict[str, str] | None = None) -> WorkerProcess:
    """``python -m marketplace worker`` with only the MARKETPLACE_* settings given here; returns once it listens."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    env |= {
        "MARKETPLACE_DATABASE_URL": settings.database.url,
        "MARKETPLACE_VAR_DIR": str(settings.var_dir),
        "MARKETPLACE_SECRET_KEY": settings.secret_key,
        "MARKETPLACE_REDIS_URL": settings.redis_url or "",
        "MARKETPLACE_JOB_QUEUE": settings.job_queue,
        "MARKETPLACE_JOB_STALE_SECONDS": str(settings.job_stale_seconds),
        "MARKETPLACE_SCHEDULE": "off",
    } | {f"MARKETPLACE_{key}": value for key, value in (extra or {}).items()}
    log_path = settings.var_dir / f"worker-{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "marketplace", "worker"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker = WorkerProcess(process, log_path)
    deadline = time.monotonic() + 60
    while f"on queue '{settings.job_queue}'" not in worker.output():
        if process.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            raise RuntimeError(f"the worker did not start:\n{worker.output()}")
        time.sleep(0.1)
    return worker


def _wait_for(session: Session, job_id: int, done: Any, timeout: float = 90) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        row = fetch(session, Job, job_id)
        if done(row):
            return row
        assert time.monotonic() < deadline, (row.status, row.stage, row.done, row.total, row.error)
        time.sleep(0.1)


def _check_job(factory: sessionmaker[Session], seconds: float) -> int:
    with session_scope(factory) as db:
        return services.enqueue(db, "system.check", {"seconds": seconds}).id or 0


def test_a_worker_killed_mid_job_is_replaced_and_the_job_finishes_once(
    session: Session, session_factory: sessionmaker[Session], jobs_settings: Settings
) -> None:
    job_id = _check_job(session_factory, 6)
    first = start_worker(jobs_settings, "first")
    second = None
    try:
        backends.put_on_redis(jobs_settings, job_id)
        running = _wait_for(session, job_id, lambda row: row.status is JobStatus.RUNNING and row.done >= 4)
        assert running.attempts == 1 and running.stage == "waiting" and running.total == 24
        first.kill()
        killed_at = time.monotonic()
        assert fetch(session, Job, job_id).status is JobStatus.RUNNING  # nobody was left to say otherwise
        second = start_worker(jobs_settings, "second")
        listening_at = time.monotonic()
        finished = _wait_for(session, job_id, lambda row: not row.is_live)
        took, after_start = time.monotonic() - killed_at, time.monotonic() - listening_at
    finally:
        first.kill()
        if second is not None:
            second.stop()
    assert finished.status is JobStatus.FINISHED, (finished.error, second.output() if second else "")
    assert finished.attempts == 2 and finished.result == {"seconds": 6.0, "attempt": 2}
    # The effect, written once: the killed attempt never reached it.
    assert [(e.object_id, (e.after or {}).get("attempt")) for e in audit_events(session, "job.check")] == [(job_id, 2)]
    assert "re-queued" in second.output()
    print(
        f"\nkilled at {running.done}/24; the job finished {took:.1f} s after the kill, "
        f"{after_start:.1f} s after the second worker was listening"
    )


def test_two_workers_handed_the_same_job_run_it_once(
    session: Session, session_factory: sessionmaker[Session], jobs_settings: Settings
) -> None:
    workers = [start_worker(jobs_settings, name) for name in ("a", "b")]
    try:
        job_id = _check_job(session_factory, 1)
        for _ in range(4):  # the same row on the queue four times, for two workers at once
            backends.put_on_redis(jobs_settings, job_id)
        finished = _wait_for(session, job_id, lambda row: not row.is_live)
        time.sleep(1.5)  # time for any duplicate to run, if one could
    finally:
        for worker in workers:
            worker.stop()
    assert finished.status is JobStatus.FINISHED and fetch(session, Job, job_id).attempts == 1
    assert len(audit_events(session, "job.check")) == 1


def test_a_round_started_on_the_page_runs_on_the_worker_with_its_progress(
    session: Session, session_factory: sessionmaker[Session], jobs_settings: Settings, clean_engine: sa.Engine
) -> None:
    _street(session)
    make_user(session, Role.ADMIN, username="jobs-admin")
    worker = start_worker(jobs_settings, "rounds")
    live = start_live_app(jobs_settings)
    try:
        with httpx.Client(base_url=live.base_url, timeout=30) as http:
            signed = http.post(
                "/login",
                data={
                    "username": "jobs-admin",
                    "password": DEFAULT_PASSWORD,
                    "csrf_token": csrf_from(http.get("/login").text),
                },
            )
            assert signed.status_code in (200, 303), signed.text
            started = http.post(
                "/rounds",
                data={"method": "optimal", "k": "20", "csrf_token": csrf_from(http.get("/rounds").text)},
                follow_redirects=False,
            )
            assert started.status_code == 303, started.text
            round_id = int(started.headers["location"].rsplit("/", 1)[1])
            deadline = time.monotonic() + 90
            while 'hx-trigger="every 1s"' in (fragment := http.get(f"/rounds/{round_id}/progress").text):
                assert time.monotonic() < deadline, fragment
                time.sleep(0.2)
            assert "/review" in fragment
            with Session(session.get_bind()) as db:
                [job] = db.execute(sa.select(Job)).scalars().all()
            jobs_page = http.get(f"/admin/jobs/{job.id}")
            assert jobs_page.status_code == 200 and f'href="/rounds/{round_id}"' in jobs_page.text
    finally:
        live.stop()
        worker.stop()
    row = fetch(session, MatchRound, round_id)
    assert row.status is RoundStatus.FINISHED and row.proposals == 4
    assert job.kind == "match.round" and job.status is JobStatus.FINISHED and job.attempts == 1
    assert job.arguments["round_id"] == round_id and job.result and job.result["shift_proposals"] == 2
    # The round ran in the worker's process, not the web's: no job thread was started here.
    assert backends.wait(timeout=0)
    assert "Traceback" not in live.log() and "Traceback" not in worker.output()
