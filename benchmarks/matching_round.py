"""A whole matching round, end to end in process: index builds, top-k candidates, exact allocation.

    python3 -m uv run python benchmarks/matching_round.py                       # 5,000 shifts × 50,000 volunteers
    python3 -m uv run python benchmarks/matching_round.py --shifts 500 --volunteers 5000 --lines 200 --offers 500

Default scale: 5,000 shifts against 50,000 volunteers plus 2,000 resource lines against 5,000 offers,
k = 20 candidates per part. Target: ≤ 20 s end to end. Also runs the greedy baseline on the same
candidates, to show what exactness buys. Peak memory: tracemalloc's peak of Python allocations
(numpy and SciPy report theirs to it) and the process's maximum resident set size.
Writes benchmarks/results/matching_round.json and matching_round.txt.
"""

import argparse
import json
import os
import platform
import random
import resource
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

from matching import (
    GridPoint,
    LineNeed,
    Offer,
    OfferIndex,
    ShiftNeed,
    TextSpace,
    Volunteer,
    VolunteerIndex,
    WeeklyWindow,
)
from matching.round import DEFAULT_K, plan_round

RESULTS = Path(__file__).parent / "results"
NOW = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)  # Monday 00:00 in Qingdao: the week's shifts lie ahead
MONDAY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 in Qingdao
KINDS = ("material", "service", "venue", "funds", "expertise")
CATEGORIES = ("renovation", "environment", "elderly_care", "travel_safety", "culture_sports", "livelihood_aid")
WORDS = ("透水砖", "凉亭维修", "助老送餐", "垃圾分类", "义诊", "法律咨询", "活动场地", "爱心基金", "路灯", "绿化")


def grids_of(count: int, rng: random.Random) -> list[GridPoint]:
    return [GridPoint(i, 36.08 + rng.random() * 0.08, 120.32 + rng.random() * 0.08) for i in range(1, count + 1)]


def volunteers_of(count: int, grid_count: int, rng: random.Random) -> list[Volunteer]:
    # As benchmarks/matching_topk.py: 1–5 skills of 34, 1–4 weekly windows of 3–5 hours, caps of 4–12 h.
    return [
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
        )
        for i in range(1, count + 1)
    ]


def shifts_of(count: int, grid_count: int, rng: random.Random) -> list[ShiftNeed]:
    return [
        ShiftNeed(
            id=i,
            need_id=100_000 + i,
            text="",
            category=rng.choice(CATEGORIES),
            grid_id=rng.randint(1, grid_count),
            starts_at=(start := MONDAY + timedelta(days=rng.randint(0, 6), hours=rng.choice([0, 4, 9]))),
            ends_at=start + timedelta(hours=rng.choice([2, 3])),
            open_slots=rng.randint(1, 10),
            skill_ids=frozenset(rng.sample(range(1, 35), rng.randint(0, 3))),
            urgency=rng.choice([0, 1, 1, 1, 2, 3]),
        )
        for i in range(1, count + 1)
    ]


def offers_of(count: int, grid_count: int, rng: random.Random) -> list[Offer]:
    return [
        Offer(
            id=i,
            organization_id=1 + i // 20,
            text=f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
            kind=rng.choice(KINDS),
            category=rng.choice(CATEGORIES),
            remaining=float(rng.choice([5, 10, 50, 100, 500, 3200])),
            unit="件",
            grid_ids=frozenset(rng.sample(range(1, grid_count + 1), rng.randint(1, 5))),
            valid_until=None if rng.random() < 0.5 else NOW + timedelta(days=rng.randint(5, 120)),
            fulfilled=rng.randint(0, 10),
            no_show=rng.randint(0, 2),
        )
        for i in range(1, count + 1)
    ]


def lines_of(count: int, grid_count: int, rng: random.Random) -> list[LineNeed]:
    return [
        LineNeed(
            id=i,
            need_id=200_000 + i,
            text=rng.choice(WORDS),
            kind=rng.choice(KINDS),
            category=rng.choice(CATEGORIES),
            grid_id=rng.randint(1, grid_count),
            still_needed=float(rng.choice([2, 10, 40, 200, 1000])),
            unit="件",
            urgency=rng.choice([0, 1, 1, 1, 2, 3]),
            due_date=(NOW + timedelta(days=rng.randint(3, 60))).date(),
        )
        for i in range(1, count + 1)
    ]


def run(
    shift_count: int, volunteer_count: int, line_count: int, offer_count: int, k: int, seed: int, trace_memory: bool
) -> dict[str, object]:
    rng = random.Random(seed)
    grid_count = max(21, volunteer_count // 500)
    grids = grids_of(grid_count, rng)
    volunteers = volunteers_of(volunteer_count, grid_count, rng)
    shifts = shifts_of(shift_count, grid_count, rng)
    offers = offers_of(offer_count, grid_count, rng)
    lines = lines_of(line_count, grid_count, rng)

    if trace_memory:
        tracemalloc.start()
    seconds: dict[str, float] = {}
    total_started = time.perf_counter()
    total_cpu_started = time.process_time()
    cpu: dict[str, float] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    volunteer_index = VolunteerIndex(volunteers, grids)
    seconds["volunteer_index"], cpu["volunteer_index"] = (
        time.perf_counter() - started,
        time.process_time() - cpu_started,
    )
    started, cpu_started = time.perf_counter(), time.process_time()
    offer_index = OfferIndex(offers, grids, TextSpace([o.text for o in offers]))
    seconds["offer_index"], cpu["offer_index"] = time.perf_counter() - started, time.process_time() - cpu_started

    stages: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter())
        if done == total:
            print(f"  {stage:<11} {done:>6,}/{total:,}  {time.perf_counter() - total_started:6.1f} s", flush=True)

    plan = plan_round(
        lines, shifts, offer_index=offer_index, volunteer_index=volunteer_index, now=NOW, k=k, progress=progress
    )
    seconds.update(plan.stats.seconds)
    cpu.update(plan.stats.cpu_seconds)
    seconds["total"] = time.perf_counter() - total_started
    cpu["total"] = time.process_time() - total_cpu_started
    traced_peak = tracemalloc.get_traced_memory()[1] if trace_memory else 0
    tracemalloc.stop()

    greedy = plan_round(
        lines, shifts, offer_index=offer_index, volunteer_index=volunteer_index, now=NOW, k=k, method="greedy"
    )
    filled_slots = len(plan.shifts)
    return {
        "shifts": shift_count,
        "volunteers": volunteer_count,
        "lines": line_count,
        "offers": offer_count,
        "k": k,
        "seconds": {name: round(value, 3) for name, value in seconds.items()},
        "cpu_seconds": {name: round(value, 3) for name, value in cpu.items()},
        "peak_traced_mb": round(traced_peak / 2**20, 1) if trace_memory else None,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "candidate_pairs": {"lines": plan.stats.line_candidates, "shifts": plan.stats.shift_candidates},
        "shift_components": plan.stats.components,
        "largest_component_pairs": plan.stats.largest_component,
        "proposals": {"lines": len(plan.lines), "shifts": filled_slots},
        "open_slots": sum(s.open_slots for s in shifts),
        "objective": round(plan.stats.objective, 3),
        "greedy_objective": round(greedy.stats.objective, 3),
        "greedy_proposals": {"lines": len(greedy.lines), "shifts": len(greedy.shifts)},
    }


def report(result: dict[str, object]) -> str:
    seconds, cpu = result["seconds"], result["cpu_seconds"]
    assert isinstance(seconds, dict) and isinstance(cpu, dict)
    lines = [
        f"{result['shifts']:,} shifts × {result['volunteers']:,} volunteers + "
        f"{result['lines']:,} lines × {result['offers']:,} offers, k = {result['k']}",
        f"  {'step':<18} {'wall':>8}   {'CPU':>8}",
        *(f"  {name:<18} {value:8.2f} s {cpu.get(name, 0.0):8.2f} s" for name, value in seconds.items()),
        f"  peak traced memory {result['peak_traced_mb']} MB, max RSS {result['max_rss_mb']} MB, "
        f"load average {result.get('load_average')}",
        f"  candidate pairs {result['candidate_pairs']}, shift components {result['shift_components']:,} "
        f"(largest {result['largest_component_pairs']:,} pairs)",
        f"  proposals {result['proposals']} of {result['open_slots']:,} open slots",
        f"  objective {result['objective']:,} exact vs {result['greedy_objective']:,} greedy",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shifts", type=int, default=5_000)
    parser.add_argument("--volunteers", type=int, default=50_000)
    parser.add_argument("--lines", type=int, default=2_000)
    parser.add_argument("--offers", type=int, default=5_000)
    parser.add_argument("--k", type=int, default=DEFAULT_K)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument(
        "--trace-memory", action="store_true", help="also tracemalloc's peak (slows the Python parts several times)"
    )
    args = parser.parse_args()
    result = run(args.shifts, args.volunteers, args.lines, args.offers, args.k, args.seed, args.trace_memory)
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    text = report(result)
    print(text)
    if args.no_write:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"machine": platform.platform(), "cpus": os.cpu_count(), "result": result}
    (RESULTS / "matching_round.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "matching_round.txt").write_text(text + "\n")
    print(f"written to {RESULTS / 'matching_round.json'}")


if __name__ == "__main__":
    main()
