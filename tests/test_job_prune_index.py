"""The job prune reads the ended jobs from ``ix_job_status_finished_at`` (migration f2a3b4c5d6e7), removes
exactly the old ended ones, and reports its progress; the migration goes down and up. Runs on SQLite and on
PostgreSQL (MARKETPLACE_TEST_DATABASE_URL); the plan is checked on SQLite, whose planner has no statistics.
benchmarks/job_prune.py measures the prune on 200,000 jobs with and without the index."""

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import downgrade, upgrade
from marketplace.db.types import utcnow
from marketplace.jobs.models import Job, JobStatus
from marketplace.jobs.services import prune_ended
from marketplace.settings import DatabaseSettings, Settings

INDEX = "ix_job_status_finished_at"


def _jobs(session: Session, ended_days_ago: list[float | None]) -> list[int]:
    now = utcnow()
    rows = []
    for days in ended_days_ago:
        ended = None if days is None else now - timedelta(days=days)
        status = JobStatus.RUNNING if ended is None else JobStatus.FINISHED
        rows.append(Job(kind="offers.expire", status=status, finished_at=ended, started_at=ended, attempts=1))
    session.add_all(rows)
    session.commit()
    return [row.id or 0 for row in rows]


def _statements(session: Session, call: Any) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return seen


def test_the_prune_removes_the_old_ended_jobs_in_batches_reporting_progress(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    ids = _jobs(session, [40, 45, 31, 50, 60, 29, 1, None])
    heard: list[tuple[str, int, int]] = []
    counts = prune_ended(session_factory, settings, utcnow(), 30, batch_size=2, progress=lambda *p: heard.append(p))
    assert counts == {"jobs": 5, "files": 0}
    with session_factory() as db:
        assert set(db.execute(sa.select(Job.id)).scalars()) == set(ids[5:])
    assert heard[0] == ("old_jobs", 0, 5) and ("old_jobs", 5, 5) in heard and heard[-1] == ("old_files", 0, 0)
    assert [done for stage, done, _total in heard if stage == "old_jobs"] == [0, 2, 4, 5]


def test_the_prune_reads_the_old_jobs_from_the_status_finished_at_index(
    session: Session, session_factory: sessionmaker[Session], settings: Settings, is_postgres: bool
) -> None:
    if is_postgres:
        pytest.skip("PostgreSQL chooses by its statistics; the index is the same")
    _jobs(session, [40, 1])
    statements = _statements(session, lambda: prune_ended(session_factory, settings, utcnow(), 30))
    reads = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT") and "FROM job" in s]
    assert reads, statements
    for statement, parameters in reads:
        plan = " ".join(
            str(row[3]) for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        )
        assert INDEX in plan, plan
        assert "TEMP B-TREE" not in plan, plan  # no sort of every old row for each batch


def test_the_index_migration_goes_down_and_up(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    try:

        def indexes() -> set[str]:
            return {index["name"] for index in sa.inspect(engine).get_indexes("job")}

        assert INDEX in indexes()
        downgrade(url, "e1f2a3b4c5d6")
        assert INDEX not in indexes() and "ix_job_status_kind" in indexes()
        upgrade(url)
        assert INDEX in indexes()
    finally:
        engine.dispose()
