"""The timing loop the database benchmarks share: cases timed in turns, the first round dropped.

On a shared host the load moves from one minute to the next, so a benchmark that compares ways of doing
one thing runs every case once per round, round after round, and compares the medians: each case then
met the same load. The first round warms the caches and is not kept. ``load()`` is the host's load
average, which every result records beside its figures.

    from timing import in_turns, load, summary, write_results

Used by review_city_admin.py, review_overlap_shapes.py and review_inbox.py (run from benchmarks/, or with
benchmarks/ on ``sys.path``).
"""

import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

RESULTS = Path(__file__).resolve().parent / "results"

K = TypeVar("K", bound=Hashable)


@dataclass
class Timed:
    """One case's kept rounds: wall-clock ms, CPU ms (where a CPU reader was given), and its last answer."""

    wall_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    answer: Any = None


def in_turns(
    cases: Mapping[K, Callable[[], Any]],
    runs: int,
    *,
    cpu: Mapping[K, Callable[[], float]] | None = None,
    before: Callable[[K], None] | None = None,
    after: Callable[[K], None] | None = None,
) -> dict[K, Timed]:
    """Time each case ``runs`` times, every case once a round in the given order, after one round that warms
    the caches and is dropped. ``cpu[key]`` reads a CPU clock in ms (e.g. the database backend's), timed
    beside the wall clock; ``before(key)`` and ``after(key)`` run untimed around each call (a ``SET LOCAL``,
    a rollback)."""
    timed: dict[K, Timed] = {key: Timed() for key in cases}
    for run in range(runs + 1):
        for key, case in cases.items():
            if before is not None:
                before(key)
            reader = cpu.get(key) if cpu is not None else None
            began, began_cpu = time.perf_counter(), reader() if reader is not None else 0.0
            answer = case()
            elapsed = (time.perf_counter() - began) * 1000
            used = reader() - began_cpu if reader is not None else None
            if after is not None:
                after(key)
            timed[key].answer = answer
            if run:
                timed[key].wall_ms.append(elapsed)
                if used is not None:
                    timed[key].cpu_ms.append(used)
    return timed


def summary(timed: Timed) -> dict[str, float]:
    """Median and least wall-clock ms of the kept rounds, and the median CPU ms where it was read."""
    kept = sorted(timed.wall_ms)
    found = {"median_ms": round(statistics.median(kept), 1), "min_ms": round(kept[0], 1)}
    if timed.cpu_ms:
        found["cpu_ms"] = round(statistics.median(timed.cpu_ms), 1)
    return found


def load() -> list[float]:
    """The host's load average over 1, 5 and 15 minutes (empty where the platform has none)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def write_results(name: str, text: str, **fields: Any) -> None:
    """``results/NAME.txt`` (the printed table) and ``results/NAME.json`` (when, the machine and its load now,
    then ``fields``)."""
    record = {
        "recorded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "load": load()},
        **fields,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.txt").write_text(text)
