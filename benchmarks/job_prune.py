"""The job prune on a large job table, before and after the (status, finished_at) index, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/job_prune.py [--jobs 200000] [--old 50000] \
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Fills a fresh database (a SQLite file; and a scratch PostgreSQL database beside ``--database-url`` when given,
dropped afterwards) with ``--jobs`` ended jobs, ``--old`` of them ended 31 to 120 days ago and the rest within
the 30 days kept, their ids in the order they ended as in a real table (``--order shuffled``: in no order),
plus a few queued and running ones. Then, each on a fresh copy of
those rows:

- before: the prune's loop as it was (each batch of 500 read ``ORDER BY id``), without the index;
- after: ``jobs.services.prune_ended`` as it is (the index's order), with ``ix_job_status_finished_at``.

It times the whole prune and each batch (median and slowest: a batch holds SQLite's write lock while it
runs, so its length is what a request writing meanwhile may wait), and checks both removed the same jobs.
Writes ``benchmarks/results/job_prune.{txt,json}`` (``job_prune.shuffled.*`` for the shuffled order).
"""

import argparse
import json
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
from marketplace.db.migrate import upgrade
from marketplace.db.scratch import scratch_postgres_database
from marketplace.jobs.models import Job
from marketplace.jobs.services import prune_ended
from marketplace.settings import DatabaseSettings, Settings

RESULTS = Path(__file__).resolve().parent / "results"
INDEX = "ix_job_status_finished_at"
DAYS = 30
BATCH = 500
_table = Job.__table__  # type: ignore[attr-defined]
_c = _table.c


def _rows(jobs: int, old: int, now: datetime, order: str) -> list[dict[str, Any]]:
    rng = random.Random(7)
    ages = [rng.uniform(31, 120) for _ in range(old)] + [rng.uniform(0, 29.9) for _ in range(jobs - old)]
    if order == "shuffled":
        rng.shuffle(ages)
    else:  # as a real table fills: ids in the order the jobs were made, the oldest first
        ages.sort(reverse=True)
    rows = []
    for n, age in enumerate(ages, 1):
        ended = now - timedelta(days=age)
        failed = n % 10 == 0
        rows.append(
            {
                "id": n,
                "kind": ("offers.expire", "needs.escalate", "shifts.remind", "match.round")[n % 4],
                "arguments": {},
                "status": "failed" if failed else "finished",
                "stage": "done",
                "done": 1,
                "total": 1,
                "attempts": 1,
                "max_attempts": 3,
                "error": "boom" if failed else None,
                "result": {"expired": n % 3},
                "created_at": ended - timedelta(seconds=5),
                "started_at": ended - timedelta(seconds=4),
                "finished_at": ended,
                "heartbeat_at": ended,
            }
        )
    for n in range(jobs + 1, jobs + 21):  # live ones, never removed however old
        rows.append(
            {
                "id": n,
                "kind": "offers.expire",
                "arguments": {},
                "status": "queued" if n % 2 else "running",
                "stage": "queued",
                "done": 0,
                "total": 0,
                "attempts": 0 if n % 2 else 1,
                "max_attempts": 3,
                "error": None,
                "result": None,
                "created_at": now - timedelta(days=200),
                "started_at": None,
                "finished_at": None,
                "heartbeat_at": now - timedelta(days=200),
            }
        )
    return rows


def _fill(engine: sa.Engine, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as connection:
        connection.execute(_table.delete())
        for start in range(0, len(rows), 10_000):
            connection.execute(_table.insert(), rows[start : start + 10_000])
    # PostgreSQL's autovacuum analyses a table this size soon after; the application never runs ANALYZE on
    # SQLite, whose planner so goes by the indexes alone, as it does here.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE job")


def _set_index(engine: sa.Engine, present: bool) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql(f"DROP INDEX IF EXISTS {INDEX}")
        if present:
            connection.exec_driver_sql(f"CREATE INDEX {INDEX} ON job (status, finished_at)")


def _ended_before(cutoff: datetime) -> tuple[Any, ...]:
    return (_c.status.in_(("finished", "failed")), _c.finished_at.is_not(None), _c.finished_at < cutoff)


def prune_as_before(factory: sessionmaker[Session], now: datetime, batches: list[float]) -> int:
    """The batch loop of jobs.services.prune_ended before b2be9aa: ORDER BY id, no progress count."""
    cutoff, removed = now - timedelta(days=DAYS), 0
    while True:
        started = time.perf_counter()
        with session_scope(factory) as db:
            rows = db.execute(
                sa.select(_c.id, _c.kind, _c.result).where(*_ended_before(cutoff)).order_by(_c.id).limit(BATCH)
            ).all()
            ids = [int(row.id) for row in rows]
            if ids:
                removed += int(db.execute(_table.delete().where(_c.id.in_(ids), *_ended_before(cutoff))).rowcount or 0)
        batches.append(time.perf_counter() - started)
        if len(ids) < BATCH:
            return removed


class BatchClock:
    """prune_ended's progress callback: the time between two reports of the old jobs' stage is one batch."""

    def __init__(self, batches: list[float]) -> None:
        self.batches, self.last = batches, time.perf_counter()

    def __call__(self, stage: str, done: int, _total: int) -> None:
        tick = time.perf_counter()
        if stage == "old_jobs" and done > 0:
            self.batches.append(tick - self.last)
        self.last = tick


def _left(engine: sa.Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(_table)).scalar_one())


def measure(url: str, jobs: int, old: int, var_dir: Path, order: str) -> dict[str, Any]:
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    factory = make_session_factory(engine)
    settings = Settings(secret_key="job-prune-benchmark", database=DatabaseSettings(url=url), var_dir=var_dir)
    now = datetime.now(UTC)
    rows = _rows(jobs, old, now, order)
    found: dict[str, Any] = {}
    try:
        for variant in ("before", "after"):
            _fill(engine, rows)
            _set_index(engine, variant == "after")
            batches: list[float] = []
            started = time.perf_counter()
            if variant == "before":
                removed = prune_as_before(factory, now, batches)
            else:
                removed = prune_ended(factory, settings, now, DAYS, progress=BatchClock(batches))["jobs"]
            seconds = time.perf_counter() - started
            assert removed == old, (variant, removed, old)
            assert _left(engine) == jobs - old + 20
            found[variant] = {
                "seconds": round(seconds, 3),
                "batches": len(batches),
                "batch_median_ms": round(statistics.median(batches) * 1000, 2),
                "batch_max_ms": round(max(batches) * 1000, 2),
                "removed": removed,
            }
            print(f"  {engine.dialect.name:10} {variant:6}  {found[variant]}", flush=True)
    finally:
        engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--old", type=int, default=50_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL URL; a scratch database beside it")
    parser.add_argument(
        "--order", choices=("time", "shuffled"), default="time", help="ids in the order jobs ended, or shuffled"
    )
    args = parser.parse_args()
    results: dict[str, Any] = {
        "jobs": args.jobs,
        "old": args.old,
        "batch": BATCH,
        "order": args.order,
        "machine": f"{platform.node()} {platform.machine()}, Python {sys.version.split()[0]}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{args.jobs:,} ended jobs, {args.old:,} of them older than {DAYS} days", flush=True)
        results["sqlite"] = measure(f"sqlite:///{tmp}/prune.sqlite3", args.jobs, args.old, Path(tmp), args.order)
        if args.database_url:
            with scratch_postgres_database(args.database_url, "job_prune_bench") as url:
                results["postgresql"] = measure(url, args.jobs, args.old, Path(tmp), args.order)
    RESULTS.mkdir(exist_ok=True)
    name = "job_prune" if args.order == "time" else f"job_prune.{args.order}"
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    lines = [
        f"job prune: {args.jobs:,} ended jobs ({args.order} order), {args.old:,} older than {DAYS} days, "
        f"batches of {BATCH} "
        f"({results['when']}, {results['machine']})",
        "database    variant  total s  batches  batch median ms  batch max ms",
    ]
    for database in ("sqlite", "postgresql"):
        for variant, figures in results.get(database, {}).items():
            lines.append(
                f"{database:11} {variant:7} {figures['seconds']:8.2f} {figures['batches']:8d} "
                f"{figures['batch_median_ms']:16.2f} {figures['batch_max_ms']:13.2f}"
            )
    (RESULTS / f"{name}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
