"""Donation allocation over a country: weekly rounds, first-come and nearest-first against matching.transport.

    python3 -m uv run python benchmarks/donation_allocation.py            # 1,000 donors, 6,000 recipients, 15 weeks
    python3 -m uv run python benchmarks/donation_allocation.py --quick    # 150 donors, 900 recipients, 6 weeks
    python3 -m uv run python benchmarks/donation_allocation.py --seed 7   # another scenario, same shape

The scenario (synthetic, reproducible from --seed): donors and recipients live in and around 60 cities of a
country-sized area (the continental United States' bounding box; the cities' sizes follow Zipf's law, and
donors and recipients favour different cities, so goods have to travel); 18 kinds of goods, some common and
some rare; each donor gives one to three kinds, and every week each of its kinds may bring a new lot; recipients
arrive evenly over the weeks, each needing one kind (a few units to a few hundred) and waiting until filled or
until their need expires (EXPIRY_WEEKS). Overall the supply is about two thirds of the demand. A round each week
plans shipments from the donors' stock to the waiting recipients of the same kind; distances are great-circle
miles between the two.

Policies: first-come (recipients in arrival order take from any donor of their kind with stock, the oldest stock
first), nearest-first (each recipient in arrival order takes from its nearest donor with stock, then the next),
and matching.transport's exact objectives: fill (the share filled, then the least miles), units_then_cost
(min-cost max-flow), and mix (alpha · share filled − beta · miles) at a few prices.

Figures: fill rate (the mean over recipients of the share of their need received), units shipped and their share
of all units needed, miles per unit shipped, holding time (weeks a donated unit waits at its donor: until it ships,
or to the end of the run when it never does; the same over shipped units only; rounds a recipient waits after its
arrival round until filled, or until it lapses or the run ends), supply stranded at the end, and solver seconds
per round (the policy's call alone, not the simulation around it).
Writes benchmarks/results/donation_allocation.{txt,json} (--quick: *.quick.*; another --seed: *.seedN.*).
"""

import argparse
import json
import os
import platform
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from matching.transport import Allocation, Demand, Supply, allocate, first_come, nearest_first

RESULTS = Path(__file__).parent / "results"
SEED = 13
EXPIRY_WEEKS = 4  # a need waits through this many rounds (its arrival week's included), then lapses
EARTH_MILES = 3958.8
LATITUDES, LONGITUDES = (25.0, 49.0), (-124.0, -67.0)


@dataclass
class Scenario:
    donor_lat: np.ndarray
    donor_lon: np.ndarray
    stream_donor: np.ndarray  # a stream is one donor's one kind
    stream_kind: np.ndarray
    arrivals: np.ndarray  # streams × weeks: units arriving at the donor that week
    recipient_lat: np.ndarray
    recipient_lon: np.ndarray
    recipient_kind: np.ndarray
    recipient_week: np.ndarray
    recipient_needed: np.ndarray
    weeks: int


def _places(rng: np.random.Generator, count: int, city_lat: np.ndarray, city_lon: np.ndarray, weights: np.ndarray):
    """Points around cities (about 25 miles spread), a tenth of them scattered anywhere in the country."""
    city = rng.choice(len(city_lat), size=count, p=weights / weights.sum())
    lat = city_lat[city] + rng.normal(0, 0.35, count)
    lon = city_lon[city] + rng.normal(0, 0.45, count)
    rural = rng.random(count) < 0.1
    lat[rural] = rng.uniform(*LATITUDES, rural.sum())
    lon[rural] = rng.uniform(*LONGITUDES, rural.sum())
    return np.clip(lat, *LATITUDES), np.clip(lon, *LONGITUDES)


def make_scenario(seed: int, donors: int, recipients: int, kinds: int, weeks: int) -> Scenario:
    rng = np.random.default_rng(seed)
    cities = 60
    city_lat, city_lon = rng.uniform(*LATITUDES, cities), rng.uniform(*LONGITUDES, cities)
    size = 1.0 / np.arange(1, cities + 1)  # Zipf: a few large cities, many small ones
    # Donors and recipients favour different cities: generosity and need are not spread alike.
    donor_lat, donor_lon = _places(rng, donors, city_lat, city_lon, size * rng.lognormal(0, 0.8, cities))
    recipient_lat, recipient_lon = _places(rng, recipients, city_lat, city_lon, size * rng.lognormal(0, 0.8, cities))
    popularity = rng.dirichlet(np.full(kinds, 1.2))  # how often a kind is needed
    supply_bias = rng.lognormal(0, 0.6, kinds)  # some kinds are given more than they are needed, some less
    streams = [(d, k) for d in range(donors) for k in rng.choice(kinds, rng.integers(1, 4), replace=False)]
    stream_donor = np.asarray([d for d, _ in streams])
    stream_kind = np.asarray([k for _, k in streams])
    recipient_kind = rng.choice(kinds, size=recipients, p=popularity)
    recipient_week = np.sort(rng.integers(0, weeks, recipients))
    recipient_needed = np.clip(np.round(rng.lognormal(2.6, 0.9, recipients)), 1, 400)
    # Each kind's weekly supply: two thirds of its need overall, scaled by its bias, spread over its streams.
    need_of_kind = np.bincount(recipient_kind, weights=recipient_needed, minlength=kinds)
    share = supply_bias / (supply_bias * need_of_kind / need_of_kind.sum()).sum()
    streams_of_kind = np.bincount(stream_kind, minlength=kinds)
    weekly = (2 / 3) * need_of_kind * share / weeks / np.maximum(streams_of_kind, 1)
    lots = rng.random((len(streams), weeks)) < 0.4  # a donor does not give every week
    arrivals = rng.poisson(weekly[stream_kind][:, None] / 0.4 * lots)
    return Scenario(
        donor_lat,
        donor_lon,
        stream_donor,
        stream_kind,
        arrivals.astype(float),
        recipient_lat,
        recipient_lon,
        recipient_kind,
        recipient_week,
        recipient_needed,
        weeks,
    )


def miles(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle miles between every first point (rows) and every second point (columns)."""
    p1, p2 = np.radians(lat1)[:, None], np.radians(lat2)[None, :]
    dlat, dlon = p2 - p1, np.radians(lon2)[None, :] - np.radians(lon1)[:, None]
    h = np.sin(dlat / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_MILES * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


Policy = Callable[[list[Supply], list[Demand], np.ndarray], Allocation]


def policies(quick: bool) -> dict[str, Policy]:
    found: dict[str, Policy] = {
        "first_come": lambda s, d, c: first_come(s, d, cost=c),
        "nearest_first": lambda s, d, c: nearest_first(s, d, cost=c),
        "fill": lambda s, d, c: allocate(s, d, objective="fill", cost=c),
        "units_then_cost": lambda s, d, c: allocate(s, d, objective="units_then_cost", cost=c),
    }
    # alpha · share − beta · miles with alpha = 1: a unit ships when the share of its need it fills is worth its
    # miles at 1/beta miles per whole need (a unit of a 20-unit need is worth 1/(20 beta) miles).
    for miles_per_need in (2_000, 10_000, 50_000):
        found[f"mix_{miles_per_need}"] = lambda s, d, c, b=1 / miles_per_need: allocate(
            s, d, objective="mix", cost=c, alpha=1.0, beta=b
        )
    return found


@dataclass
class Outcome:
    received: np.ndarray  # per recipient
    filled_week: np.ndarray  # per recipient: the round that filled it (-1: never)
    left_week: np.ndarray  # per recipient: the round after which it stopped waiting (filled or lapsed)
    units: float = 0.0
    unit_miles: float = 0.0
    holding: float = 0.0  # unit-weeks shipped units waited at their donors before shipping
    unshipped_holding: float = 0.0  # unit-weeks units never shipped waited, to the end of the run
    stranded: float = 0.0
    supplied: float = 0.0
    seconds: list[float] = field(default_factory=list)


def simulate(scenario: Scenario, policy: Policy) -> Outcome:
    n = len(scenario.recipient_kind)
    outcome = Outcome(np.zeros(n), np.full(n, -1), np.full(n, -1))
    lots: list[deque[list[float]]] = [deque() for _ in scenario.stream_kind]  # [arrival week, units] per stream
    waiting: list[int] = []
    stock = np.zeros(len(scenario.stream_kind))
    stream_lat = scenario.donor_lat[scenario.stream_donor]
    stream_lon = scenario.donor_lon[scenario.stream_donor]
    for week in range(scenario.weeks):
        for s in np.flatnonzero(scenario.arrivals[:, week]).tolist():
            lots[s].append([week, scenario.arrivals[s, week]])
            stock[s] += scenario.arrivals[s, week]
        waiting += np.flatnonzero(scenario.recipient_week == week).tolist()
        # Supplies ordered by their oldest stock (first come takes the oldest first); demands by arrival.
        live = sorted(np.flatnonzero(stock > 0).tolist(), key=lambda s: (lots[s][0][0], s))
        supplies = [Supply(s, stock[s], str(scenario.stream_kind[s])) for s in live]
        demands = [
            Demand(
                r,
                scenario.recipient_needed[r] - outcome.received[r],
                str(scenario.recipient_kind[r]),
                needed=scenario.recipient_needed[r],
            )
            for r in waiting
        ]
        at = scenario.recipient_lat[waiting], scenario.recipient_lon[waiting]
        cost = miles(stream_lat[live], stream_lon[live], *at)
        started = time.perf_counter()
        plan = policy(supplies, demands, cost)
        outcome.seconds.append(time.perf_counter() - started)
        for shipment in plan.shipments:
            s, r, quantity = int(shipment.supply_id), int(shipment.demand_id), shipment.quantity
            outcome.received[r] += quantity
            outcome.units += quantity
            outcome.unit_miles += quantity * shipment.cost
            stock[s] -= quantity
            while quantity > 1e-9:  # the oldest lots ship first
                lot = lots[s][0]
                taken = min(quantity, lot[1])
                outcome.holding += taken * (week - lot[0])
                lot[1] -= taken
                quantity -= taken
                if lot[1] <= 1e-9:
                    lots[s].popleft()
        still = []
        for r in waiting:
            if outcome.received[r] >= scenario.recipient_needed[r] - 1e-9:
                outcome.filled_week[r] = outcome.left_week[r] = week
            elif week - scenario.recipient_week[r] + 1 >= EXPIRY_WEEKS:
                outcome.left_week[r] = week
            else:
                still.append(r)
        waiting = still
    for r in waiting:
        outcome.left_week[r] = scenario.weeks - 1
    for queue in lots:  # units never shipped waited from their arrival to the end of the run
        outcome.unshipped_holding += sum(units * (scenario.weeks - arrived) for arrived, units in queue)
    outcome.stranded = float(stock.sum())
    outcome.supplied = float(scenario.arrivals.sum())
    return outcome


def figures(scenario: Scenario, outcome: Outcome) -> dict[str, float]:
    needed = scenario.recipient_needed
    waited = outcome.left_week - scenario.recipient_week  # rounds after the arrival one until filled or gone
    filled = outcome.filled_week >= 0
    return {
        "fill_rate": float(np.mean(outcome.received / needed)),
        "needs_filled": float(filled.mean()),
        "units_shipped": outcome.units,
        "units_share_of_need": outcome.units / float(needed.sum()),
        "miles_per_unit": outcome.unit_miles / outcome.units if outcome.units else float("nan"),
        "supply_holding_weeks": (outcome.holding + outcome.unshipped_holding) / outcome.supplied,
        "shipped_holding_weeks": outcome.holding / outcome.units if outcome.units else float("nan"),
        "need_wait_weeks": float(np.mean(waited)),
        "stranded_share": outcome.stranded / outcome.supplied,
        "solver_seconds_mean": float(np.mean(outcome.seconds)),
        "solver_seconds_max": float(np.max(outcome.seconds)),
    }


COLUMNS = (
    ("fill_rate", "fill rate", "{:.3f}"),
    ("needs_filled", "filled", "{:.3f}"),
    ("units_shipped", "units", "{:,.0f}"),
    ("units_share_of_need", "units/need", "{:.3f}"),
    ("miles_per_unit", "mi/unit", "{:,.0f}"),
    ("supply_holding_weeks", "held wk", "{:.2f}"),
    ("shipped_holding_weeks", "shipped held wk", "{:.2f}"),
    ("need_wait_weeks", "wait wk", "{:.2f}"),
    ("stranded_share", "stranded", "{:.3f}"),
    ("solver_seconds_mean", "s/round", "{:.2f}"),
    ("solver_seconds_max", "max s", "{:.2f}"),
)


def table(results: dict[str, dict[str, float]]) -> str:
    head = "| policy | " + " | ".join(label for _, label, _ in COLUMNS) + " |"
    rule = "| --- | " + " | ".join("---:" for _ in COLUMNS) + " |"
    rows = [
        f"| {name} | " + " | ".join(fmt.format(values[key]) for key, _, fmt in COLUMNS) + " |"
        for name, values in results.items()
    ]
    return "\n".join([head, rule, *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--quick", action="store_true", help="150 donors, 900 recipients, 6 weeks")
    parser.add_argument("--only", nargs="*", help="run only these policies")
    args = parser.parse_args()
    donors, recipients, weeks = (150, 900, 6) if args.quick else (1_000, 6_000, 15)
    kinds = 18
    scenario = make_scenario(args.seed, donors, recipients, kinds, weeks)
    results: dict[str, dict[str, float]] = {}
    for name, policy in policies(args.quick).items():
        if args.only and name not in args.only:
            continue
        started = time.perf_counter()
        results[name] = figures(scenario, simulate(scenario, policy))
        print(f"{name}: {time.perf_counter() - started:.1f} s", flush=True)
    header = (
        f"{donors:,} donors ({len(scenario.stream_kind):,} donor-kind streams), {recipients:,} recipients, "
        f"{kinds} kinds, {weeks} weekly rounds, needs lapse after {EXPIRY_WEEKS} rounds, seed {args.seed}; "
        f"supply {scenario.arrivals.sum():,.0f} units against {scenario.recipient_needed.sum():,.0f} needed"
    )
    text = header + "\n\n" + table(results) + "\n"
    print(text)
    RESULTS.mkdir(exist_ok=True)
    stem = "donation_allocation" + (".quick" if args.quick else "") + (f".seed{args.seed}" if args.seed != SEED else "")
    (RESULTS / f"{stem}.txt").write_text(text, encoding="utf-8")
    (RESULTS / f"{stem}.json").write_text(
        json.dumps(
            {
                "scenario": {
                    "seed": args.seed,
                    "donors": donors,
                    "streams": len(scenario.stream_kind),
                    "recipients": recipients,
                    "kinds": kinds,
                    "weeks": weeks,
                    "expiry_weeks": EXPIRY_WEEKS,
                    "supply_units": float(scenario.arrivals.sum()),
                    "needed_units": float(scenario.recipient_needed.sum()),
                },
                "results": results,
                "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load": os.getloadavg()},
            },
            indent=2,
        ),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
