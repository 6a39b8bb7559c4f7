"""The job table is pruned: finished and failed jobs that ended more than MARKETPLACE_JOB_RETENTION_DAYS ago
(default 30) are deleted with an export's file, by the scheduled ``jobs.prune`` sweep and ``marketplace jobs
prune``; recent ones stay, a queued or running job is never removed however old, an export's file past its
day goes even while its job is kept, and every run is audited with its counts."""

import os
import time
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.audit.models import AuditEvent
from marketplace.cli import main
from marketplace.db.types import utcnow
from marketplace.exchange.jobs import export_file
from marketplace.jobs.kinds import KINDS
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.schedule import DEFAULT_SCHEDULE
from marketplace.jobs.services import PRUNE_ACTION, prune_ended
from marketplace.settings import Settings


def _job(
    session: Session, status: JobStatus, ended_days_ago: float | None, kind: str = "offers.expire", **fields: Any
) -> int:
    ended = utcnow() - timedelta(days=ended_days_ago) if ended_days_ago is not None else None
    row = Job(
        kind=kind,
        status=status,
        created_at=utcnow() - timedelta(days=100),
        started_at=ended,
        finished_at=ended,
        heartbeat_at=ended or utcnow() - timedelta(days=100),
        error="boom" if status is JobStatus.FAILED else None,
        attempts=1 if status is not JobStatus.QUEUED else 0,
        **fields,
    )
    session.add(row)
    session.commit()
    return row.id or 0


def _left(session_factory: sessionmaker[Session]) -> set[int]:
    with session_factory() as db:
        return set(db.execute(sa.select(Job.id)).scalars())


def test_old_ended_jobs_and_their_files_go_recent_and_live_ones_stay(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    old_export = _job(session, JobStatus.FINISHED, 40, "exchange.export", result={"format": "csv"})
    old_file = export_file(settings, old_export, "csv")
    old_file.write_text("id\n")
    old_failed = _job(session, JobStatus.FAILED, 31)
    old_report = _job(session, JobStatus.FINISHED, 45, "exchange.import_report", arguments={"list": "needs"})
    recent = _job(session, JobStatus.FINISHED, 29)
    recent_export = _job(session, JobStatus.FINISHED, 2, "exchange.export", result={"format": "xlsx"})
    recent_file = export_file(settings, recent_export, "xlsx")
    recent_file.write_text("x")
    past_its_day = time.time() - 2 * 86400  # an export's file is kept a day, even while its job stays
    os.utime(recent_file, (past_its_day, past_its_day))
    fresh_export = _job(session, JobStatus.FINISHED, 0.1, "exchange.export", result={"format": "csv"})
    fresh_file = export_file(settings, fresh_export, "csv")
    fresh_file.write_text("id\n")
    running = _job(session, JobStatus.RUNNING, None, claimed_by="w")
    queued = _job(session, JobStatus.QUEUED, None)

    counts = prune_ended(session_factory, settings, utcnow(), 30, batch_size=2)

    assert _left(session_factory) == {recent, recent_export, fresh_export, running, queued}
    assert counts == {"jobs": 3, "files": 2}
    assert not old_file.exists() and not recent_file.exists() and fresh_file.exists()
    assert old_failed not in _left(session_factory) and old_report not in _left(session_factory)
    with session_factory() as db:
        audits = db.execute(sa.select(AuditEvent).where(AuditEvent.action == PRUNE_ACTION)).scalars().all()
        assert len(audits) == 1 and audits[0].actor_role == "system"
    # A second run finds nothing (its audit row says so); 0 days keeps every job.
    assert prune_ended(session_factory, settings, utcnow(), 30) == {"jobs": 0, "files": 0}
    assert prune_ended(session_factory, settings, utcnow() + timedelta(days=365), 0)["jobs"] == 0
    # A running job is never removed, however long ago it started.
    prune_ended(session_factory, settings, utcnow() + timedelta(days=365), 1)
    assert _left(session_factory) == {running, queued}


def test_the_sweep_is_scheduled_and_has_a_command(
    session: Session, session_factory: sessionmaker[Session], settings: Settings, monkeypatch: Any
) -> None:
    assert "jobs.prune" in KINDS and "jobs.prune" in dict(DEFAULT_SCHEDULE)
    assert Settings.job_retention_days == 30
    old = _job(session, JobStatus.FINISHED, 60)
    kept = _job(session, JobStatus.FINISHED, 1)
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("MARKETPLACE_JOB_RETENTION_DAYS", "7")
    assert Settings.from_env().job_retention_days == 7
    outcome = CliRunner().invoke(main, ["jobs", "prune"])
    assert outcome.exit_code == 0, outcome.output
    assert "1 jobs" in outcome.output
    assert _left(session_factory) == {kept}
    assert old not in _left(session_factory)
