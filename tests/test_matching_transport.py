"""The general allocation API is exact: checked against networkx's min-cost-flow solvers on random instances, never
below the greedy baselines on its own objective, and strict about what it is given."""

import math
import subprocess
import sys
from fractions import Fraction

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.records import LineNeed, Offer
from matching.transport import Allocation, Demand, Supply, allocate, first_come, nearest_first
from matching.units import Side, can_serve

Instance = tuple[list[Supply], list[Demand], dict[tuple[str, str], int]]


@st.composite
def instances(draw: st.DrawFn, kinds: str = "ab") -> Instance:
    """Whole quantities (some zero), two kinds of goods, a whole cost per compatible pair (some pairs forbidden)."""
    supplies = [
        Supply(f"s{i}", draw(st.integers(0, 12)), draw(st.sampled_from(kinds))) for i in range(draw(st.integers(1, 6)))
    ]
    demands = [
        Demand(f"d{j}", draw(st.integers(0, 12)), draw(st.sampled_from(kinds))) for j in range(draw(st.integers(1, 7)))
    ]
    pairs = [(s.id, d.id) for s in supplies for d in demands if s.kind == d.kind]
    cost = {pair: draw(st.integers(0, 30)) for pair in pairs if draw(st.integers(0, 4)) > 0}
    return supplies, demands, cost


def _graph(supplies: list[Supply], demands: list[Demand], arcs: dict[tuple[str, str], int]) -> nx.DiGraph:
    graph = nx.DiGraph()
    graph.add_node("source")
    graph.add_node("sink")
    for s in supplies:
        graph.add_edge("source", s.id, capacity=int(s.quantity), weight=0)
    for d in demands:
        graph.add_edge(d.id, "sink", capacity=int(d.quantity), weight=0)
    for (s, d), weight in arcs.items():
        graph.add_edge(s, d, weight=weight)  # no capacity: unbounded
    return graph


def _compatible(cost: dict[tuple[str, str], int]) -> list[tuple[str, str]]:
    return list(cost)


def _check_feasible(plan: Allocation, supplies: list[Supply], demands: list[Demand], allowed: set) -> None:
    for s in supplies:
        assert plan.shipped_from().get(s.id, 0) <= s.quantity + 1e-9
    for d in demands:
        assert plan.shipped_to().get(d.id, 0) <= d.quantity + 1e-9
    assert all((x.supply_id, x.demand_id) in allowed and x.quantity > 0 for x in plan.shipments)


@settings(max_examples=200, deadline=None)
@given(instances())
def test_units_then_cost_equals_networkx_max_flow_min_cost(instance: Instance) -> None:
    supplies, demands, cost = instance
    plan = allocate(supplies, demands, objective="units_then_cost", compatible=_compatible(cost), cost=cost)
    graph = _graph(supplies, demands, cost)
    flow = nx.max_flow_min_cost(graph, "source", "sink")
    assert plan.summary.units == sum(flow["source"].values())
    assert plan.summary.total_cost == pytest.approx(nx.cost_of_flow(graph, flow), abs=1e-6)
    assert all(float(x.quantity).is_integer() for x in plan.shipments)  # whole data, whole plan
    _check_feasible(plan, supplies, demands, set(cost))


def _best(
    supplies: list[Supply],
    demands: list[Demand],
    gain: dict[tuple[str, str], Fraction],
    cost: dict[tuple[str, str], int] | None = None,
) -> tuple[Fraction, int]:
    """The most total gain any flow reaches (not necessarily a maximum flow) and, among flows that reach it, the
    least cost: networkx's min-cost flow with a free bypass from source to sink, over whole weights (gains scaled
    by their common denominator and by more than any cost can add up to, so gain comes first, exactly)."""
    scale = math.lcm(*(g.denominator for g in gain.values())) if gain else 1
    cost = cost or {}
    big = sum(cost.values()) * int(sum(s.quantity for s in supplies)) + 1
    arcs = {pair: -int(g * scale) * big + cost.get(pair, 0) for pair, g in gain.items() if g > 0}
    graph = _graph(supplies, demands, arcs)
    total = int(sum(s.quantity for s in supplies))
    graph.add_edge("source", "sink", weight=0)
    graph.nodes["source"]["demand"] = -total
    graph.nodes["sink"]["demand"] = total
    flow = nx.min_cost_flow(graph)
    combined = nx.cost_of_flow(graph, flow)
    best_gain = (big - 1 - combined) // big  # combined = -gain * big + cost with 0 <= cost < big
    return Fraction(best_gain, scale), combined + best_gain * big


@settings(max_examples=150, deadline=None)
@given(instances())
def test_the_fill_objective_reaches_the_best_share_then_the_least_cost_and_no_baseline_does_better(
    instance: Instance,
) -> None:
    supplies, demands, cost = instance
    pairs = _compatible(cost)
    plan = allocate(supplies, demands, objective="fill", compatible=pairs, cost=cost)
    by_demand = {d.id: d for d in demands}
    share = {pair: Fraction(1, int(by_demand[pair[1]].quantity)) for pair in cost if by_demand[pair[1]].quantity > 0}
    best_share, least_cost = _best(supplies, demands, share, cost)
    filled = sum(Fraction(int(x.quantity), int(by_demand[x.demand_id].quantity)) for x in plan.shipments)
    assert filled == best_share
    assert plan.summary.total_cost == least_cost
    for baseline in (first_come, nearest_first):
        other = baseline(supplies, demands, compatible=pairs, cost=cost)
        assert other.summary.share_filled <= plan.summary.share_filled + 1e-9
        _check_feasible(other, supplies, demands, set(cost))
    unit_first = allocate(supplies, demands, objective="units_then_cost", compatible=pairs, cost=cost)
    assert unit_first.summary.share_filled <= plan.summary.share_filled + 1e-9
    assert all(float(x.quantity).is_integer() for x in plan.shipments)
    _check_feasible(plan, supplies, demands, set(cost))


@settings(max_examples=150, deadline=None)
@given(instances(), st.integers(1, 5), st.integers(0, 3), st.data())
def test_the_mix_objective_equals_networkx_on_value_less_cost(
    instance: Instance, alpha: int, beta: int, data: st.DataObject
) -> None:
    supplies, demands, cost = instance
    score = {pair: data.draw(st.integers(0, 40)) for pair in cost}
    plan = allocate(
        supplies, demands, objective="mix", compatible=list(cost), cost=cost, score=score, alpha=alpha, beta=beta
    )
    gain = {pair: Fraction(alpha * score[pair] - beta * cost[pair]) for pair in cost}
    got = sum(x.quantity * (alpha * x.score - beta * x.cost) for x in plan.shipments)
    assert got == pytest.approx(float(_best(supplies, demands, gain)[0]), abs=1e-6)
    assert all(alpha * x.score - beta * x.cost > 0 for x in plan.shipments)  # nothing ships at a loss
    _check_feasible(plan, supplies, demands, set(cost))


def test_units_then_cost_ships_every_unit_it_can_and_then_the_cheapest_way() -> None:
    # Two donors and two recipients of one good: the near donor could serve either, the far one only recipient B.
    supplies = [Supply("near", 5, "rice"), Supply("far", 5, "rice")]
    demands = [Demand("A", 5, "rice"), Demand("B", 5, "rice")]
    miles = {("near", "A"): 10, ("near", "B"): 12, ("far", "A"): math.inf, ("far", "B"): 400}
    plan = allocate(supplies, demands, objective="units_then_cost", cost=miles)
    assert sorted((x.supply_id, x.demand_id, x.quantity) for x in plan.shipments) == [
        ("far", "B", 5),
        ("near", "A", 5),
    ]
    assert plan.summary.units == 10 and plan.summary.total_cost == 5 * 10 + 5 * 400
    assert plan.summary.cost_per_unit == 205 and plan.summary.fill_rate == 1.0
    # Priced at one unit of fill per 100 miles, the far shipment is not worth it: half the units, a twentieth the cost.
    mixed = allocate(supplies, demands, objective="mix", cost=miles, score={p: 1 for p in miles}, alpha=100, beta=1)
    assert mixed.summary.units == 5 and mixed.summary.cost_per_unit == 10


def test_fill_spreads_scarce_supply_over_small_needs_and_summarises() -> None:
    supplies = [Supply("s", 6, "blanket")]
    demands = [Demand("big", 6, "blanket"), Demand("small1", 2, "blanket"), Demand("small2", 3, "blanket")]
    plan = allocate(supplies, demands, objective="fill")
    assert plan.shipped_to() == {"small1": 2, "small2": 3, "big": 1}
    assert plan.summary.share_filled == pytest.approx((1 / 6 + 1 + 1) / 3)
    assert plan.summary.demands_served == 3 and plan.summary.supply_left == 0
    assert plan.summary.cost_per_unit == 0  # no cost given
    # First come serves the big need first and leaves the small ones waiting.
    assert first_come(supplies, demands).shipped_to() == {"big": 6}


def test_the_share_counts_against_the_whole_need_not_what_is_left() -> None:
    supplies = [Supply("s", 2, "tent")]
    # Both ask for 2 now; "old" needed 10 in all, so a unit fills a tenth of it, against half of "new".
    demands = [Demand("old", 2, "tent", needed=10), Demand("new", 2, "tent")]
    assert allocate(supplies, demands, objective="fill").shipped_to() == {"new": 2}


def test_nearest_first_takes_the_cheapest_stock_first() -> None:
    supplies = [Supply("far", 4, "k"), Supply("near", 3, "k")]
    demands = [Demand("d", 5, "k")]
    cost = [[100.0], [5.0]]  # a matrix: a row per supply, a column per demand
    assert sorted(nearest_first(supplies, demands, cost=cost).shipped_from().items()) == [("far", 2), ("near", 3)]
    assert sorted(first_come(supplies, demands, cost=cost).shipped_from().items()) == [("far", 4), ("near", 1)]


def test_cost_tables_as_nested_mappings_functions_and_compatibility_as_a_predicate_or_matrix() -> None:
    supplies = [Supply(1, 4, "x", {"at": 0.0}), Supply(2, 4, "x", {"at": 10.0})]
    demands = [Demand("a", 4, "x", attributes={"at": 1.0}), Demand("b", 4, "x", attributes={"at": 9.0})]
    nested = {1: {"a": 1.0, "b": 9.0}, 2: {"a": 9.0, "b": 1.0}}

    def by_function(s: Supply, d: Demand) -> float:
        return abs(s.attributes["at"] - d.attributes["at"])

    plans = [
        allocate(supplies, demands, cost=nested),
        allocate(supplies, demands, cost=by_function),
        allocate(supplies, demands, cost=by_function, compatible=lambda s, d: True),
        allocate(supplies, demands, cost=by_function, compatible=np.ones((2, 2), dtype=bool)),
    ]
    for plan in plans:
        assert sorted((x.supply_id, x.demand_id, x.quantity) for x in plan.shipments) == [(1, "a", 4), (2, "b", 4)]
        assert plan.summary.total_cost == 8
    only_b = allocate(supplies, demands, cost=nested, compatible=[(1, "b")])
    assert [(x.supply_id, x.demand_id) for x in only_b.shipments] == [(1, "b")]


def test_offers_and_lines_pair_only_where_the_offer_can_serve_the_line() -> None:
    lamps = LineNeed(1, 1, "路灯", "material", "travel_safety", 1, 20, "盏", item="太阳能路灯")
    tiles = LineNeed(2, 2, "透水砖", "material", "renovation", 1, 30, "个", item="透水砖")
    offers = [
        Offer(10, 1, "", "material", "travel_safety", 500, "块", item="太阳能路灯"),  # another count word
        Offer(11, 2, "", "material", "renovation", 800, "m²", item="透水砖"),  # an area, not a count
        Offer(12, 3, "", "material", "travel_safety", 8, "个", item="太阳能路灯"),  # the same lamps in 个
    ]
    for objective in ("fill", "units_then_cost", "mix"):
        plan = allocate(offers, [lamps, tiles], objective=objective)  # type: ignore[arg-type]
        assert [(x.supply_id, x.demand_id, x.quantity) for x in plan.shipments] == [(12, 1, 8)]
    for baseline in (first_come, nearest_first):
        assert [(x.supply_id, x.demand_id) for x in baseline(offers, [lamps, tiles]).shipments] == [(12, 1)]
    # A caller's own rule narrows the pairs; it never lets through one that can_serve refuses.
    plan = allocate(offers, [lamps, tiles], compatible=lambda offer, line: True)
    assert [(x.supply_id, x.demand_id) for x in plan.shipments] == [(12, 1)]
    assert allocate(offers, [lamps, tiles], compatible=[(10, 1), (11, 2)]).shipments == []
    for x in plan.shipments:
        offer = next(o for o in offers if o.id == x.supply_id)
        assert can_serve(
            Side(offer.kind, offer.category, offer.unit, offer.item),
            Side(lamps.kind, lamps.category, lamps.unit, lamps.item),
        ).ok


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: allocate([Supply("s", -1)], [Demand("d", 1)]), r"supply: quantity of 's' is negative"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", -2)]), r"demand: quantity of 'd' is negative"),
        (lambda: allocate([Supply("s", math.nan)], [Demand("d", 1)]), r"supply: quantity of 's' is not a finite"),
        (lambda: allocate([Supply("s", 1), Supply("s", 2)], [Demand("d", 1)]), r"supply: id 's' appears twice"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], cost={("s", "x"): 1}), r"cost: unknown demand id 'x'"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], cost={("t", "d"): 1}), r"cost: unknown supply id 't'"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], cost={("s", "d"): math.nan}), r"cost: NaN for"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], cost=[[math.nan]]), r"cost: NaN for \('s', 'd'\)"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], cost=lambda s, d: math.nan), r"cost: NaN for"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], cost=[[1, 2]]), r"cost: a matrix must have a row per"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], cost={}), r"cost: no value for the compatible pair"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], cost={"s": 3}), r"cost: keys must be"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], score={("s", "d"): math.inf}), r"score: every value"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], compatible=[("s", "e")]), r"compatible: unknown demand"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], compatible=np.ones((2, 1))), r"compatible: a matrix"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], objective="cheapest"), r"objective: expected one of"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], objective="mix", beta=1), r"cost: the mix objective"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 1)], alpha=-1), r"alpha: must be a finite number"),
        (lambda: allocate([Supply("s", 1)], [Demand("d", 3, needed=2)]), r"demand: needed of 'd' \(2\)"),
        (lambda: first_come([Supply("s", -1)], [Demand("d", 1)]), r"supply: quantity of 's' is negative"),
    ],
)
def test_bad_input_is_refused_naming_the_argument(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


def test_nothing_to_ship_is_an_empty_plan() -> None:
    for supplies, demands in (([], []), ([Supply("s", 0, "k")], [Demand("d", 5, "k")]), ([Supply("s", 3, "k")], [])):
        plan = allocate(supplies, demands, objective="fill")
        assert plan.shipments == [] and plan.summary.units == 0 and plan.summary.cost_per_unit is None


def test_fractional_quantities_are_planned_exactly() -> None:
    supplies = [Supply("s", 2.5, "oil")]
    demands = [Demand("a", 1.25, "oil"), Demand("b", 4.0, "oil")]
    plan = allocate(supplies, demands, cost={("s", "a"): 3.0, ("s", "b"): 1.0})
    assert plan.summary.units == pytest.approx(2.5) and plan.summary.total_cost == pytest.approx(2.5)
    fill = allocate(supplies, demands, objective="fill")
    assert fill.shipped_to() == pytest.approx({"a": 1.25, "b": 1.25})


def test_components_are_solved_apart_and_counted() -> None:
    supplies = [Supply(f"s{k}", 3, k) for k in "abc"]
    demands = [Demand(f"d{k}", 2, k) for k in "abc"]
    plan = allocate(supplies, demands, objective="fill")
    assert plan.components == 3 and plan.summary.units == 6


def test_the_transport_module_imports_nothing_from_the_application() -> None:
    code = (
        "import sys, matching.transport;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'marketplace', 'litestar', 'sqlmodel', 'sqlalchemy'}];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("seed", range(30))
def test_the_fallback_with_the_first_optimum_as_a_bound_is_exact_too(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the optimal face cannot be read from the duals, the second stage bounds the first stage's objective
    instead (an integer programme for fill): the same plans' figures, slower."""
    import random

    import matching.transport as transport

    rng = random.Random(seed)
    supplies = [Supply(f"s{i}", rng.randint(0, 9), "k") for i in range(rng.randint(1, 5))]
    demands = [Demand(f"d{j}", rng.randint(1, 9), "k") for j in range(rng.randint(1, 6))]
    cost = {(s.id, d.id): rng.randint(0, 20) for s in supplies for d in demands}
    expected = {o: allocate(supplies, demands, objective=o, cost=cost) for o in ("fill", "units_then_cost")}
    monkeypatch.setattr(transport, "_cheapest_on_face", lambda *args: None)
    for objective, plan in expected.items():
        again = allocate(supplies, demands, objective=objective, cost=cost)  # type: ignore[arg-type]
        assert again.summary.units == plan.summary.units
        assert again.summary.total_cost == pytest.approx(plan.summary.total_cost)
        if objective == "fill":  # units then cost may tie on other plans whose shares differ
            assert again.summary.share_filled == pytest.approx(plan.summary.share_filled)


def test_the_example_of_docs_allocation_md() -> None:
    """The figures docs/allocation.md shows for its example."""
    supply = [Supply("oakland", 30, "blankets"), Supply("denver", 20, "blankets"), Supply("denver-2", 10, "tents")]
    demand = [
        Demand("reno", 30, "blankets"),
        Demand("boise", 20, "blankets"),
        Demand("salt-lake", 15, "blankets"),
        Demand("cheyenne", 4, "tents"),
    ]
    miles = {
        ("oakland", "reno"): 218,
        ("oakland", "boise"): 640,
        ("oakland", "salt-lake"): 735,
        ("denver", "reno"): 1030,
        ("denver", "boise"): 830,
        ("denver", "salt-lake"): 520,
        ("denver-2", "cheyenne"): 100,
    }
    plans = {
        "fill": allocate(supply, demand, objective="fill", cost=miles),
        "units_then_cost": allocate(supply, demand, objective="units_then_cost", cost=miles),
        "mix": allocate(supply, demand, objective="mix", cost=miles, alpha=1.0, beta=1 / 10_000),
        "nearest_first": nearest_first(supply, demand, cost=miles),
    }
    figures = {
        name: (round(p.summary.share_filled, 3), p.summary.units, round(p.summary.cost_per_unit or 0))
        for name, p in plans.items()
    }
    assert figures == {
        "fill": (0.875, 54, 467),
        "units_then_cost": (0.812, 54, 350),
        "mix": (0.75, 49, 301),
        "nearest_first": (0.75, 54, 436),
    }
    assert plans["fill"].shipped_to() == {"reno": 15, "boise": 20, "salt-lake": 15, "cheyenne": 4}
