"""Two versions of the code measured side by side: this checkout and ``--baseline`` (a checkout of another commit).

The machine is shared, so the versions alternate (A B, then B A, ...) and the tables give medians over the rounds
with the load average at each run's start. The benchmarks that compare versions (``recommended_need_rows.py``,
``recommended_shift_rows.py``, ``round_inputs.py``, ``served_slow_pages.py``) share this loop, the worker process
and the results files; each keeps only what it measures and how its table reads.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent

Runs = dict[str, list[dict[str, Any]]]


def add_version_arguments(parser: argparse.ArgumentParser, rounds: int) -> None:
    """The arguments every side-by-side benchmark takes."""
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--baseline", help="a checkout of the code to compare with")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--label", default="")


def worker_run(script: str, code: Path, arguments: list[str]) -> tuple[dict[str, Any], float]:
    """Run ``script --worker ARGUMENTS`` in a fresh process on the version in ``code``: its last printed line (JSON)
    and the load average at its start."""
    load = os.getloadavg()[0]
    command = [sys.executable, str(Path(script).resolve()), "--worker", *arguments]
    env = {**os.environ, "PYTHONPATH": str(code)}
    out = subprocess.run(command, env=env, cwd=code, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1]), load


def alternate(args: argparse.Namespace, run: Callable[[Path], dict[str, Any]], runs_from: str | None = None) -> Runs:
    """``args.rounds`` runs of each version, alternating, each printed as it ends (name, then its JSON).

    ``runs_from``: a file of such printed lines, from a run stopped before its report; those runs are reported
    instead of running anew."""
    versions = {"this": ROOT} | ({"baseline": Path(args.baseline)} if args.baseline else {})
    runs: Runs = {name: [] for name in versions}
    if runs_from:
        for line in Path(runs_from).read_text().splitlines():
            name, _, found = line.partition(" ")
            if name in runs:
                runs[name].append(json.loads(found))
        return runs
    for number in range(args.rounds):
        order = list(versions) if number % 2 == 0 else list(reversed(versions))
        for name in order:
            runs[name].append(run(versions[name]))
            print(name, json.dumps(runs[name][-1]), flush=True)
    return runs


def medians(found: list[dict[str, Any]], *path: str) -> Callable[[str], float]:
    """``median(key)``: the median over the runs of ``run[path...][key]``."""

    def median(key: str) -> float:
        values = []
        for run in found:
            for step in path:
                run = run[step]
            values.append(run[key])
        return statistics.median(values)

    return median


def load_line(runs: Runs) -> str:
    loads = [run["load_at_start"] for found in runs.values() for run in found]
    return f"load average at the runs' starts: median {statistics.median(loads):.1f}, {min(loads):.1f}-{max(loads):.1f}"


def write_results(name: str, args: argparse.Namespace, record: dict[str, Any], lines: list[str]) -> None:
    """``results/<name>.<sqlite|postgres>[.label].json`` (the record, with the time and the arguments) and ``.txt``
    (the table, also printed)."""
    kind = "postgres" if args.database_url.startswith("postgresql") else "sqlite"
    stem = f"{name}.{kind}" + (f".{args.label}" if args.label else "")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(
        json.dumps({"at": datetime.now(UTC).isoformat(), "args": vars(args), **record}, indent=1)
    )
    (RESULTS / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
