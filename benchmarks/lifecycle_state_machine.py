"""The lifecycle state machine (tests/test_lifecycle_state_machine.py), run longer than in CI.

    .venv/bin/python benchmarks/lifecycle_state_machine.py [--examples 2000] [--steps 15]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_lifecycle]

Without ``--database-url`` it runs on a fresh SQLite file in a temporary folder; with a PostgreSQL URL the
database named there is dropped and created empty first (use a scratch name). The app runs in-process
(Litestar's TestClient), as in the test: every step is a real request through validation, guards, services
and the database, and after every step the invariants of tests/lifecycle_invariants.py are checked.

Prints the figures (examples, steps, rules fired per kind and their answers, violations, seconds) and
writes them to ``benchmarks/results/lifecycle_state_machine.txt`` and ``.json`` (one entry per database,
kept across runs). A violation stops the run (Hypothesis then shrinks it) and is in the figures.
"""

import argparse
import json
import logging
import platform
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from marketplace.db.migrate import upgrade  # noqa: E402
from marketplace.db.scratch import recreate_postgres_database  # noqa: E402
from tests.test_lifecycle_state_machine import Stats, run_lifecycle  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def database_for(url: str | None, folder: Path) -> tuple[str, str]:
    """(the URL to use, the database's name for the figures)."""
    if not url:
        return f"sqlite:///{folder / 'lifecycle.sqlite3'}", "sqlite"
    parsed = sa.make_url(url)
    if parsed.get_backend_name().startswith("postgresql"):
        return recreate_postgres_database(url, parsed.database or "bench_lifecycle"), "postgresql"
    return url, parsed.get_backend_name()


def report(database: str, stats: Stats, examples: int, steps: int) -> dict[str, Any]:
    figures = stats.as_dict() | {
        "database": database,
        "max_examples": examples,
        "stateful_step_count": steps,
        "steps_per_second": round(stats.steps / stats.seconds, 1) if stats.seconds else None,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    lines = [
        f"lifecycle state machine on {database}: {stats.examples} examples (max_examples={examples}, "
        f"up to {steps} steps each), {stats.steps} steps, {figures['violations']} violations, "
        f"{stats.seconds:.1f} s ({figures['steps_per_second']} steps/s)",
        "rules fired:",
        *(f"  {rule:<14} {count:>6}" for rule, count in sorted(stats.rules.items())),
        "answers (rule, HTTP status):",
        *(f"  {answer:<20} {count:>6}" for answer, count in sorted(stats.answers.items())),
        *(f"violation: {violation}" for violation in stats.violations[:10]),
    ]
    return figures | {"text": "\n".join(lines)}


def save(database: str, figures: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS / "lifecycle_state_machine.json"
    kept = json.loads(json_path.read_text()) if json_path.exists() else {}
    kept[database] = {key: value for key, value in figures.items() if key != "text"}
    json_path.write_text(json.dumps(kept, indent=2, ensure_ascii=False) + "\n")
    texts = {}
    text_path = RESULTS / "lifecycle_state_machine.txt"
    if text_path.exists():
        for block in text_path.read_text().split("\n\n"):
            if block.strip():
                texts[block.split(" on ", 1)[1].split(":", 1)[0]] = block.strip()
    texts[database] = figures["text"]
    text_path.write_text("\n\n".join(texts[name] for name in sorted(texts)) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--database-url", default=None, help="PostgreSQL scratch database (dropped first)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped by SIGTERM: save what was measured
    logging.getLogger("marketplace.outbox").setLevel(logging.ERROR)  # a line per notification otherwise
    with tempfile.TemporaryDirectory(prefix="lifecycle-") as folder:
        url, database = database_for(args.database_url, Path(folder))
        upgrade(url)
        stats = Stats()
        failure: BaseException | None = None
        try:
            run_lifecycle(url, Path(folder), examples=args.examples, steps=args.steps, stats=stats)
        except Exception as error:  # a violation: recorded in the figures, then raised again
            failure = error
        except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the figures so far are still worth keeping
            stats.seconds = stats.seconds or 0.0
            stats.rules["(stopped early)"] += 1
        figures = report(database, stats, args.examples, args.steps)
    print(figures["text"])
    save(database, figures)
    if failure is not None:
        raise failure
    return 0 if not stats.violations else 1


if __name__ == "__main__":
    raise SystemExit(main())
