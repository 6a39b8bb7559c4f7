"""The long API fuzzing run: schemathesis against a real ``marketplace serve`` process, for every role.

    .venv/bin/python benchmarks/api_fuzz.py                      # fresh SQLite under a temporary folder
    .venv/bin/python benchmarks/api_fuzz.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/fuzz

1. Migrates the database (a PostgreSQL database is dropped and created anew), seeds Hudao Street (the
   demo's scenario) and gives each demo account an API token with every scope (the role limits it).
2. Starts ``python -m marketplace serve`` (``--workers``, 2 by default) on a free port of 127.0.0.1.
3. For anonymous and each role (``--jobs`` roles at a time, each in a process of its own): every
   operation of /schema/openapi.json with ``--examples`` positive and as many negative cases (half the
   path ids pointing at rows that exist), then schemathesis' stateful phase over the links it infers
   (an id from one answer used in the next call).
   Each answer is checked: not_a_server_error, status_code_conformance, content_type_conformance,
   response_headers_conformance, response_schema_conformance. Then schemathesis' own CLI with its
   examples and coverage phases (boundary values, missing parameters, undeclared methods: the same
   checks and unsupported_method), unless --no-coverage.
4. Prints the figures per role (operations, examples, server errors, schema violations, statuses,
   seconds) and writes benchmarks/results/api_fuzz.txt and api_fuzz.json; the distinct failures go
   into the .txt. Exits 1 if anything failed.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from marketplace.db.engine import create_db_engine  # noqa: E402
from marketplace.db.migrate import upgrade  # noqa: E402
from marketplace.db.scratch import recreate_postgres_database  # noqa: E402
from marketplace.settings import DatabaseSettings  # noqa: E402
from tests.fuzz_helpers import CHECKS, ROLES, FuzzReport, fuzz_schema, fuzz_stateful, known_ids, seed_world  # noqa: E402
from tests.live_server import start_serve  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
CHECK_NAMES = [check.__name__ for check in CHECKS]


def prepare_database(url: str | None, var_dir: Path) -> str:
    if url is None:
        url = f"sqlite:///{var_dir / 'marketplace.sqlite3'}"
    elif url.startswith("postgresql"):
        url = recreate_postgres_database(url, sa.make_url(url).database or "api_fuzz")
    upgrade(url)
    return url


def coverage_pass(schema_url: str, role: str, token: str | None, report_dir: Path) -> dict[str, Any]:
    """Schemathesis' own CLI with its examples and coverage phases (boundary values, every missing or
    wrong-typed parameter, undeclared methods), the same checks plus unsupported_method."""
    report_path = report_dir / f"coverage-{role}.json"
    command = [str(Path(sys.executable).with_name("schemathesis")), "run", schema_url, "--phases", "examples,coverage"]
    command += ["-c", ",".join([*CHECK_NAMES, "unsupported_method"]), "-w", "1", "--seed", "2026"]
    command += ["--max-failures", "1000", "--report", "json", "--report-json-path", str(report_path)]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    subprocess.run(command, cwd=report_dir, capture_output=True, timeout=3600, check=False)
    data = json.loads(report_path.read_text(encoding="utf-8"))
    failures = [
        f"[{role}] coverage {item.get('operation', '')}: {item.get('code', '')} {item.get('title', '')}\n"
        f"{str(item.get('message', ''))[:800]}"
        for item in data.get("failures", [])
    ]
    server_errors = sum(1 for item in data.get("failures", []) if item.get("code") == "ST101")
    return {
        "coverage_cases": data["test_cases"]["generated"],
        "coverage_server_errors": server_errors,
        "coverage_other_failures": len(failures) - server_errors,
        "coverage_errors": len(data.get("errors", [])),
        "coverage_failures": failures,
    }


def run_role(
    base_url: str,
    role: str,
    token: str | None,
    ids: dict[str, list[int]],
    examples: int,
    stateful: int,
    coverage_dir: Path | None,
) -> tuple[FuzzReport, int, dict[str, Any]]:
    schema_url = f"{base_url}/schema/openapi.json"
    report = fuzz_schema(schema_url, role=role, token=token, ids=ids, max_examples=examples)
    links = fuzz_stateful(schema_url, report=report, token=token, max_examples=stateful) if stateful else 0
    coverage = coverage_pass(schema_url, role, token, coverage_dir) if coverage_dir else {}
    return report, links, coverage


def format_report(meta: dict[str, Any], rows: list[dict[str, Any]], failures: list[str]) -> str:
    coverage_rows: list[str] = []
    lines = [
        f"API fuzzing (schemathesis {meta['schemathesis']}, hypothesis {meta['hypothesis']}) on {meta['database']}",
        f"{meta['examples_per_mode']} positive + {meta['examples_per_mode']} negative cases per operation and "
        f"role; stateful phase: {meta['stateful_scenarios']} scenarios per role over {meta['links']} inferred links",
        f"machine: {meta['machine']}",
        "",
        f"{'role':<10} {'ops':>4} {'examples':>9} {'stateful':>9} {'5xx':>5} {'schema':>7} {'seconds':>8}  statuses",
    ]
    for row in rows:
        if "coverage_cases" in row:
            coverage_rows.append(
                f"{row['role']:<10} {row['coverage_cases']:>9} {row['coverage_server_errors']:>5} "
                f"{row['coverage_other_failures']:>9} {row['coverage_errors']:>7}"
            )
        statuses = " ".join(f"{code}:{n}" for code, n in row["statuses"].items())
        lines.append(
            f"{row['role']:<10} {row['operations']:>4} {row['examples']:>9} {row['stateful_steps']:>9} "
            f"{row['server_errors']:>5} {row['schema_violations']:>7} {row['elapsed_seconds']:>8}  {statuses}"
        )
    if coverage_rows:
        lines += ["", "schemathesis CLI, examples and coverage phases (+ unsupported_method):"]
        lines += [f"{'role':<10} {'cases':>9} {'5xx':>5} {'failures':>9} {'errors':>7}", *coverage_rows]
    total = sum(row["examples"] + row["stateful_steps"] + row.get("coverage_cases", 0) for row in rows)
    lines += ["", f"total: {total} requests checked in {meta['elapsed_seconds']} s", ""]
    lines += ["distinct failures:" if failures else "no failures.", *failures]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="PostgreSQL URL (the database is recreated); default: SQLite")
    parser.add_argument("--examples", type=int, default=100, help="positive (and as many negative) per operation")
    parser.add_argument("--stateful", type=int, default=100, help="stateful scenarios per role (0: none)")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--no-coverage", dest="coverage", action="store_false", help="skip the CLI coverage pass")
    parser.add_argument("--jobs", type=int, default=2, help="roles fuzzed at the same time")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--output", default="api_fuzz", help="name of the result files")
    args = parser.parse_args()

    import hypothesis
    import schemathesis

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="api-fuzz-") as tmp:
        var_dir = Path(tmp)
        url = prepare_database(args.database_url, var_dir)
        engine = create_db_engine(DatabaseSettings(url=url))
        tokens = seed_world(engine)
        ids = known_ids(engine)
        engine.dispose()
        server = start_serve(url, var_dir, workers=args.workers)
        base_url = server.base_url
        rows: list[dict[str, Any]] = []
        failures: list[str] = []
        links = 0
        roles = args.roles.split(",")
        coverage_dir = var_dir if args.coverage else None
        try:
            # Each role in a process of its own (generating cases costs more CPU than answering them).
            with ProcessPoolExecutor(max_workers=args.jobs) as pool:
                futures = [
                    pool.submit(
                        run_role, base_url, role, tokens.get(role), ids, args.examples, args.stateful, coverage_dir
                    )
                    for role in roles
                ]
                for future in futures:
                    report, links, coverage = future.result()
                    failures += [f"[{report.role}] {failure}" for failure in report.distinct_failures()]
                    failures += coverage.pop("coverage_failures", [])
                    row = report.summary() | coverage
                    rows.append(row)
                    print(json.dumps(row), flush=True)
        finally:
            server.stop()
        tracebacks = server.output().count("Traceback")

    meta = {
        "schemathesis": schemathesis.__version__,
        "hypothesis": hypothesis.__version__,
        "database": "PostgreSQL" if url.startswith("postgresql") else "SQLite",
        "examples_per_mode": args.examples,
        "jobs": args.jobs,
        "server_workers": args.workers,
        "stateful_scenarios": args.stateful,
        "links": links,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "elapsed_seconds": round(time.monotonic() - started, 1),
        "server_log_tracebacks": tracebacks,
    }
    text = format_report(meta, rows, failures)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.output}.txt").write_text(text, encoding="utf-8")
    (RESULTS / f"{args.output}.json").write_text(
        json.dumps({"meta": meta, "roles": rows, "failures": failures}, ensure_ascii=False, indent=2) + "\n",
        encoding="utf-8",
    )
    print(text)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
