"""Generate and load synthetic streets of several sizes; print and record how fast.

    python3 -m uv run python benchmarks/seed_synthetic.py --volunteers 10000 100000 \\
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench]

Each size goes into a fresh SQLite file in a temporary folder and, with ``--database-url``, into a
fresh PostgreSQL database made next to the given one (``<name>_seed_bench``, dropped afterwards).
Migrations are not timed; generating and loading are. Results go to
``benchmarks/results/seed_synthetic.json``.
"""

import argparse
import json
import os
import platform
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import upgrade
from marketplace.db.scratch import scratch_postgres_database
from marketplace.settings import DatabaseSettings
from seeds.synthetic import seed_synthetic

RESULTS = Path(__file__).resolve().parent / "results" / "seed_synthetic.json"
TODAY = date(2026, 5, 1)  # fixed, so every run generates the same rows


@contextmanager
def sqlite_database(folder: Path, volunteers: int) -> Iterator[str]:
    path = folder / f"synthetic-{volunteers}.sqlite3"
    yield f"sqlite:///{path}"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@contextmanager
def postgres_database(base_url: str) -> Iterator[str]:
    """A scratch database beside the given one, created empty and dropped afterwards."""
    name = f"{sa.make_url(base_url).database or 'bench'}_seed_bench"
    with scratch_postgres_database(base_url, name) as url:
        yield url


def measure(backend: str, url: str, volunteers: int, seed: int) -> dict[str, object]:
    upgrade(url)
    engine = create_db_engine(DatabaseSettings(url=url))
    try:
        started = time.perf_counter()
        report = seed_synthetic(engine, volunteers=volunteers, seed=seed, today=TODAY)
        seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    return {
        "backend": backend,
        "volunteers": volunteers,
        "rows": report.total,
        "generate_seconds": round(report.generate_seconds, 2),
        "load_seconds": round(report.load_seconds, 2),
        "total_seconds": round(seconds, 2),
        "rows_per_second": round(report.total / seconds),
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "counts": report.counts,
    }


def print_result(result: dict[str, object]) -> None:
    print(
        f"{result['backend']:<10} {result['volunteers']:>9,} volunteers {result['rows']:>9,} rows  "
        f"generate {result['generate_seconds']:>6.1f} s  load {result['load_seconds']:>6.1f} s  "
        f"total {result['total_seconds']:>6.1f} s  {result['rows_per_second']:>8,} rows/s",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--volunteers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--database-url", help="a PostgreSQL URL; a scratch database is made beside it")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="seed-bench-") as folder:
        for volunteers in args.volunteers:
            with sqlite_database(Path(folder), volunteers) as url:
                results.append(measure("sqlite", url, volunteers, args.seed))
            print_result(results[-1])
            if args.database_url:
                with postgres_database(args.database_url) as url:
                    results.append(measure("postgresql", url, volunteers, args.seed))
                print_result(results[-1])
    record = {
        "benchmark": "seed_synthetic",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "sqlalchemy": sa.__version__,
        },
        "results": results,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
