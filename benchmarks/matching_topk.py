"""Top 10 volunteers for one shift, in process, warm: median and p95 latency at several scales.

    python3 -m uv run python benchmarks/matching_topk.py --volunteers 10000 100000 [--signals]

Targets (issue 5): median ≤ 3 ms at 10,000 volunteers and ≤ 15 ms at 100,000; issue 13: within 0.5 ms
and 2.4 ms. ``--signals`` gives the street every signal of issue 13 (interests, skill groups, communities,
past work per community, reliability rates, distance scales per category) and writes
benchmarks/results/matching_topk.signals.json; without it, benchmarks/results/matching_topk.json.
"""

import argparse
import json
import os
import platform
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from matching import GridPoint, ShiftNeed, Volunteer, VolunteerIndex, WeeklyWindow

RESULTS = Path(__file__).parent / "results" / "matching_topk.json"


CATEGORIES = ("elderly_care", "sanitation", "renovation", "education", "health")
SKILL_GROUPS = {skill: f"group {skill % 7}" for skill in range(1, 35)}
PROXIMITY_KM = {"elderly_care": 1.0, "renovation": 4.0}


def synthetic(
    volunteers: int, seed: int, signals: bool = False
) -> tuple[list[GridPoint], list[Volunteer], list[ShiftNeed]]:
    rng = random.Random(seed)
    grid_count = max(21, volunteers // 500)
    grids = [
        GridPoint(i, 36.08 + rng.random() * 0.08, 120.32 + rng.random() * 0.08, i % 12 if signals else None)
        for i in range(1, grid_count + 1)
    ]
    people = [
        Volunteer(
            id=i,
            home_grid_id=rng.randint(1, grid_count),
            skill_ids=frozenset(rng.sample(range(1, 35), rng.randint(1, 5))),
            availability=tuple(
                WeeklyWindow(day, start, start + rng.choice([180, 240, 300]))
                for day in rng.sample(range(7), rng.randint(1, 4))
                for start in [rng.choice([480, 780, 1080])]
            ),
            weekly_hour_cap=rng.choice([4, 8, 12]),
            hours_this_week=rng.choice([0, 0, 2, 4]),
            fulfilled=rng.randint(0, 20),
            no_show=rng.randint(0, 3),
            **(
                {
                    "interests": frozenset(rng.sample(CATEGORIES, rng.randint(0, 2))),
                    "community_work": {rng.randrange(12): rng.randint(1, 5)} if rng.random() < 0.4 else {},
                    "reliability_rate": rng.random() if rng.random() < 0.1 else None,
                }
                if signals
                else {}
            ),
        )
        for i in range(1, volunteers + 1)
    ]
    monday = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Qingdao
    shifts = [
        ShiftNeed(
            id=i,
            need_id=i,
            text="",
            category=rng.choice(CATEGORIES) if signals else "elderly_care",
            grid_id=rng.randint(1, grid_count),
            starts_at=(start := monday + timedelta(days=rng.randint(0, 6), hours=rng.choice([0, 4, 9]))),
            ends_at=start + timedelta(hours=rng.choice([2, 3])),
            open_slots=rng.randint(1, 10),
            skill_ids=frozenset(rng.sample(range(1, 35), rng.randint(0, 3))),
        )
        for i in range(1, 201)
    ]
    return grids, people, shifts


def measure(volunteers: int, seed: int = 11, repeats: int = 200, signals: bool = False) -> dict[str, float]:
    grids, people, shifts = synthetic(volunteers, seed, signals)
    started = time.perf_counter()
    extra = {"skill_groups": SKILL_GROUPS, "proximity_km": PROXIMITY_KM} if signals else {}
    index = VolunteerIndex(people, grids, **extra)  # type: ignore[arg-type]
    build_seconds = time.perf_counter() - started
    for shift in shifts[:20]:  # warm up caches and lazy imports
        index.rank(shift, k=10)
    timings = []
    for n in range(repeats):
        shift = shifts[n % len(shifts)]
        started = time.perf_counter()
        index.rank(shift, k=10)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return {
        "volunteers": volunteers,
        "index_build_seconds": round(build_seconds, 3),
        "median_ms": round(statistics.median(timings), 3),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 3),
        "repeats": repeats,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--signals", action="store_true", help="give the street every signal of issue 13")
    args = parser.parse_args()
    results = []
    for volunteers in args.volunteers:
        result = measure(volunteers, signals=args.signals)
        results.append(result)
        print(
            f"{volunteers:>8,} volunteers  index {result['index_build_seconds']:6.2f} s  "
            f"top-10 median {result['median_ms']:7.2f} ms  p95 {result['p95_ms']:7.2f} ms"
        )
    out = RESULTS.with_suffix(".signals.json") if args.signals else RESULTS
    out.parent.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    document = {"machine": platform.platform(), "cpus": os.cpu_count(), "load_average": round(load, 2)}
    out.write_text(json.dumps({**document, "signals": args.signals, "results": results}, indent=2) + "\n")
    print(f"load average {load:.2f}; written to {out}")


if __name__ == "__main__":
    main()
