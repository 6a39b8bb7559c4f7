"""A general allocation API: any supply, any demand, a compatibility rule, a cost and/or score per pair, an objective.

Quantities flow from supplies to demands along compatible pairs (a transportation problem). Three objectives, each
solved exactly as a linear programme by HiGHS (``scipy.optimize.linprog``; ``milp`` where noted):

- ``"fill"``: maximise the share filled, the sum over demands of shipped / needed, so that many demands get
  something rather than a few big ones everything; among the plans that reach it, the cheapest.
- ``"units_then_cost"``: maximise the units shipped, then, with that many units fixed, minimise the total cost
  (min-cost max-flow).
- ``"mix"``: maximise ``alpha * value - beta * cost`` summed over the units shipped, where a unit's value is the
  pair's ``score`` when one is given, else the share of its demand that unit fills (1 / needed). A pair whose unit
  costs more than it is worth is never used, so ``alpha / beta`` prices a unit of fill in units of cost.

The plan is solved per connected component of the compatibility graph: components share no supply and no demand,
and every objective is a sum over them, so the union of their optima is the optimum of the whole.

The lexicographic objectives (``fill``, ``units_then_cost``) take two stages. The second reads the first's
optimal plans from its duals (complementary slackness: pairs with a positive reduced cost carry nothing, rows with a
nonzero dual are full), a face of the same network polytope, and finds the cheapest plan on it. So with
whole-number quantities every plan is whole-numbered (network matrices have whole vertices, and so do their
faces), which a bound on the first stage's objective, however tight, would not keep. Should the duals be misread
(gains closer than the solver's tolerance), the second stage falls back to that bound (an integer programme for
``fill``) and stays exact, only slower.

Records: offers (``matching.records.Offer``) and resource lines (``LineNeed``) may be passed as they are: their
``remaining`` and ``still_needed`` are the quantities, and an offer is paired with a line only when it can serve
it (``matching.units.can_serve``: kind, unit, item), whatever rule the caller gives (a caller's rule can only narrow
the pairs). Plain ``Supply`` and ``Demand`` pair by equal ``kind`` unless told otherwise.

Nothing here knows the web or the database.
"""

import math
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from matching.allocation import serves
from matching.records import LineNeed, Offer

Objective = Literal["fill", "units_then_cost", "mix"]
OBJECTIVES: tuple[str, ...] = ("fill", "units_then_cost", "mix")


@dataclass(frozen=True, slots=True)
class Supply:
    """Something to give: ``quantity`` units of ``kind``; ``attributes`` for a caller's own rules and costs."""

    id: Hashable
    quantity: float
    kind: str = ""
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Demand:
    """Something asked for: ``quantity`` units still wanted now; ``needed`` is the whole need the share filled is
    measured against (defaults to ``quantity``: a need that was half filled last week asks for the other half)."""

    id: Hashable
    quantity: float
    kind: str = ""
    needed: float | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Shipment:
    supply_id: Hashable
    demand_id: Hashable
    quantity: float
    cost: float  # per unit
    score: float  # per unit: the pair's score, or the share of the demand one unit fills when no score is given


@dataclass(frozen=True, slots=True)
class Summary:
    units: float  # shipped
    asked: float  # the demands' quantities, summed
    fill_rate: float  # units / asked (0 when nothing was asked)
    share_filled: float  # mean over demands of (shipped / needed): the fill objective divided by the demands
    total_cost: float
    cost_per_unit: float | None  # None when nothing is shipped
    demands_served: int  # demands that receive something
    supply_left: float  # supply not shipped


@dataclass
class Allocation:
    shipments: list[Shipment]
    summary: Summary
    objective: str
    components: int = 0
    seconds: float = 0.0

    def shipped_to(self) -> dict[Hashable, float]:
        """Units shipped per demand id (demands that receive nothing are absent)."""
        found: dict[Hashable, float] = {}
        for s in self.shipments:
            found[s.demand_id] = found.get(s.demand_id, 0.0) + s.quantity
        return found

    def shipped_from(self) -> dict[Hashable, float]:
        """Units shipped per supply id."""
        found: dict[Hashable, float] = {}
        for s in self.shipments:
            found[s.supply_id] = found.get(s.supply_id, 0.0) + s.quantity
        return found


# A pair table: {(supply id, demand id): value}, {supply id: {demand id: value}}, a matrix with a row per supply and
# a column per demand, or a function of (supply, demand) as passed.
PairTable = Mapping[Any, Any] | np.ndarray | Sequence[Sequence[float]] | Callable[[Any, Any], float]
Compatibility = Callable[[Any, Any], bool] | Iterable[tuple[Hashable, Hashable]] | np.ndarray


def _as_supply(item: Supply | Offer) -> Supply:
    if isinstance(item, Offer):
        return Supply(item.id, item.remaining, item.kind)
    if isinstance(item, Supply):
        return item
    raise TypeError(f"supply: expected Supply or Offer records, got {type(item).__name__}")


def _as_demand(item: Demand | LineNeed) -> Demand:
    if isinstance(item, LineNeed):
        return Demand(item.id, item.still_needed, item.kind)
    if isinstance(item, Demand):
        return item
    raise TypeError(f"demand: expected Demand or LineNeed records, got {type(item).__name__}")


def _quantities(items: Sequence[Supply] | Sequence[Demand], name: str) -> tuple[np.ndarray, dict[Hashable, int]]:
    positions: dict[Hashable, int] = {}
    for position, item in enumerate(items):
        if item.id in positions:
            raise ValueError(f"{name}: id {item.id!r} appears twice")
        positions[item.id] = position
        if not math.isfinite(item.quantity):
            raise ValueError(f"{name}: quantity of {item.id!r} is not a finite number ({item.quantity})")
        if item.quantity < 0:
            raise ValueError(f"{name}: quantity of {item.id!r} is negative ({item.quantity})")
    return np.asarray([item.quantity for item in items], dtype=float), positions


def _needed(demands: Sequence[Demand]) -> np.ndarray:
    needed = []
    for d in demands:
        whole = d.quantity if d.needed is None else d.needed
        if not math.isfinite(whole) or whole < d.quantity or (whole <= 0 < d.quantity):
            raise ValueError(f"demand: needed of {d.id!r} ({whole}) must be a finite number at least its quantity")
        needed.append(whole)
    return np.asarray(needed, dtype=float)


def _pairs(
    compatible: Compatibility | None,
    given_supply: Sequence[Any],
    given_demand: Sequence[Any],
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    supply_at: Mapping[Hashable, int],
    demand_at: Mapping[Hashable, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Supply and demand positions of the compatible pairs, in supply-major order unless pairs are listed."""
    if compatible is None:
        records = all(isinstance(s, Offer) for s in given_supply) and all(isinstance(d, LineNeed) for d in given_demand)
        if records and given_supply and given_demand:
            compatible = serves  # the library's rule for its own records
        if compatible is None:
            by_kind: dict[str, list[int]] = {}
            for j, d in enumerate(demands):
                by_kind.setdefault(d.kind, []).append(j)
            found = [(i, j) for i, s in enumerate(supplies) for j in by_kind.get(s.kind, ())]
            return _split(found)
    if isinstance(compatible, np.ndarray):
        if compatible.shape != (len(supplies), len(demands)):
            raise ValueError(
                f"compatible: a matrix must have a row per supply and a column per demand "
                f"({len(supplies)} x {len(demands)}), got {compatible.shape}"
            )
        rows, columns = np.nonzero(compatible)
        return rows.astype(np.int64), columns.astype(np.int64)
    if callable(compatible):
        rule = compatible
        return _split(
            [
                (i, j)
                for i, s in enumerate(given_supply)
                for j, d in enumerate(given_demand)
                if rule(s, d)  # type: ignore[call-arg]
            ]
        )
    found, seen = [], set()
    for pair in compatible:
        try:
            supply_id, demand_id = pair
        except (TypeError, ValueError):
            raise ValueError(f"compatible: expected (supply id, demand id) pairs, got {pair!r}") from None
        if supply_id not in supply_at:
            raise ValueError(f"compatible: unknown supply id {supply_id!r}")
        if demand_id not in demand_at:
            raise ValueError(f"compatible: unknown demand id {demand_id!r}")
        key = (supply_at[supply_id], demand_at[demand_id])
        if key not in seen:
            seen.add(key)
            found.append(key)
    return _split(found)


def _servable(
    given_supply: Sequence[Any], given_demand: Sequence[Any], rows: np.ndarray, columns: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Of the pairs a caller's rule allows, those an offer can serve where both sides are the library's records:
    ``can_serve`` is a rule of the domain, not a default a caller's rule replaces."""
    keep = [
        not (isinstance(given_supply[i], Offer) and isinstance(given_demand[j], LineNeed))
        or serves(given_supply[i], given_demand[j])
        for i, j in zip(rows.tolist(), columns.tolist(), strict=True)
    ]
    mask = np.asarray(keep, dtype=bool)
    return rows[mask], columns[mask]


def _split(found: list[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
    if not found:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    array = np.asarray(found, dtype=np.int64)
    return array[:, 0], array[:, 1]


def _values(
    table: PairTable | None,
    name: str,
    rows: np.ndarray,
    columns: np.ndarray,
    given_supply: Sequence[Any],
    given_demand: Sequence[Any],
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    supply_at: Mapping[Hashable, int],
    demand_at: Mapping[Hashable, int],
) -> np.ndarray | None:
    """The table's value for every pair (rows, columns); errors name ``name``. NaN is an error; +inf is left for
    the caller (a cost of +inf means the pair cannot be used)."""
    if table is None:
        return None
    if callable(table) and not isinstance(table, Mapping):
        found = np.asarray([float(table(given_supply[i], given_demand[j])) for i, j in zip(rows, columns, strict=True)])
    elif isinstance(table, Mapping):
        found = _from_mapping(table, name, rows, columns, supplies, demands, supply_at, demand_at)
    else:
        matrix = np.asarray(table, dtype=float)
        if matrix.shape != (len(supplies), len(demands)):
            raise ValueError(
                f"{name}: a matrix must have a row per supply and a column per demand "
                f"({len(supplies)} x {len(demands)}), got {matrix.shape}"
            )
        if np.isnan(matrix).any():
            i, j = np.argwhere(np.isnan(matrix))[0]
            raise ValueError(f"{name}: NaN for ({supplies[i].id!r}, {demands[j].id!r})")
        found = matrix[rows, columns]
    nan = np.isnan(found)
    if nan.any():
        k = int(np.flatnonzero(nan)[0])
        raise ValueError(f"{name}: NaN for ({supplies[rows[k]].id!r}, {demands[columns[k]].id!r})")
    return found


def _from_mapping(
    table: Mapping[Any, Any],
    name: str,
    rows: np.ndarray,
    columns: np.ndarray,
    supplies: Sequence[Supply],
    demands: Sequence[Demand],
    supply_at: Mapping[Hashable, int],
    demand_at: Mapping[Hashable, int],
) -> np.ndarray:
    nested = bool(table) and all(isinstance(value, Mapping) for value in table.values())
    flat: dict[tuple[int, int], float] = {}
    for key, value in table.items():
        entries = value.items() if nested else [(None, value)]
        for inner, number in entries:
            if nested:
                supply_id, demand_id = key, inner
            else:
                try:
                    supply_id, demand_id = key
                except (TypeError, ValueError):
                    raise ValueError(
                        f"{name}: keys must be (supply id, demand id) pairs or supply ids mapping to "
                        f"{{demand id: value}}, got {key!r}"
                    ) from None
            if supply_id not in supply_at:
                raise ValueError(f"{name}: unknown supply id {supply_id!r}")
            if demand_id not in demand_at:
                raise ValueError(f"{name}: unknown demand id {demand_id!r}")
            number = float(number)
            if math.isnan(number):
                raise ValueError(f"{name}: NaN for ({supply_id!r}, {demand_id!r})")
            flat[(supply_at[supply_id], demand_at[demand_id])] = number
    missing = [(i, j) for i, j in zip(rows.tolist(), columns.tolist(), strict=True) if (i, j) not in flat]
    if missing:
        i, j = missing[0]
        raise ValueError(
            f"{name}: no value for the compatible pair ({supplies[i].id!r}, {demands[j].id!r}) "
            f"({len(missing)} pairs missing; give +inf for a pair that cannot be used)"
        )
    return np.asarray([flat[(i, j)] for i, j in zip(rows.tolist(), columns.tolist(), strict=True)], dtype=float)


def _whole(values: np.ndarray) -> bool:
    return bool(np.all(np.abs(values - np.round(values)) < 1e-9))


def _capacity_matrix(rows: np.ndarray, columns: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """One row per demand then one per supply of the component: each pair uses both; and their positions."""
    demand_nodes, demand_row = np.unique(columns, return_inverse=True)
    supply_nodes, supply_row = np.unique(rows, return_inverse=True)
    n = len(rows)
    matrix = sparse.csr_matrix(
        (
            np.ones(2 * n),
            (np.concatenate([demand_row.ravel(), len(demand_nodes) + supply_row.ravel()]), np.tile(np.arange(n), 2)),
        ),
        shape=(len(demand_nodes) + len(supply_nodes), n),
    )
    return matrix, demand_nodes, supply_nodes


def _solve(c: np.ndarray, matrix: sparse.csr_matrix, upper: np.ndarray, extra: tuple[np.ndarray, float] | None) -> Any:
    """Minimise c·x under the capacity rows and, in a second stage, ``extra`` (row · x >= bound)."""
    if extra is not None:
        row, bound = extra
        matrix = sparse.vstack([matrix, sparse.csr_matrix(-row)], format="csr")
        upper = np.append(upper, -bound)
    result = linprog(c, A_ub=matrix, b_ub=upper, bounds=(0, None), method="highs")
    if not result.success:
        raise RuntimeError(f"the allocation could not be solved: {result.message}")
    return result


def _solve_whole(c: np.ndarray, matrix: sparse.csr_matrix, upper: np.ndarray, row: np.ndarray, bound: float) -> Any:
    """The second stage of ``fill`` with whole quantities: the fixed-share row breaks the network structure."""
    constraints = [LinearConstraint(matrix, -np.inf, upper), LinearConstraint(row[np.newaxis, :], bound, np.inf)]
    result = milp(c, constraints=constraints, integrality=np.ones(len(c)), bounds=Bounds(0, np.inf))
    if not result.success:
        raise RuntimeError(f"the allocation could not be solved: {result.message}")
    return result


def _floor(value: float, whole: bool) -> float:
    """A first stage's optimum as the second stage's bound, loosened only by the solver's tolerance."""
    if whole and abs(value - round(value)) < 1e-6:
        return float(round(value))
    return value - 1e-9 * max(1.0, abs(value))


def _component(
    objective: str,
    upper_demand: np.ndarray,
    upper_supply: np.ndarray,
    needed: np.ndarray,
    rows: np.ndarray,
    columns: np.ndarray,
    cost: np.ndarray,
    value: np.ndarray,
    alpha: float,
    beta: float,
    integral: bool,
) -> np.ndarray:
    """The optimal quantities of one component's pairs."""
    matrix, demand_nodes, supply_nodes = _capacity_matrix(rows, columns)
    upper = np.concatenate([upper_demand[demand_nodes], upper_supply[supply_nodes]])
    has_cost = bool(np.any(cost != 0))
    if objective == "mix":
        return _solve(-(alpha * value - beta * cost), matrix, upper, None).x
    gain = np.ones(len(rows)) if objective == "units_then_cost" else 1.0 / needed[columns]
    scale = float(gain.max())  # the first stage normalised, so the tolerances below mean the same for any data
    first = _solve(-gain / scale, matrix, upper, None)
    if not has_cost:
        return first.x
    best = float(gain @ first.x)
    found = _cheapest_on_face(first, cost, matrix, upper)
    if found is not None and gain @ found >= best - 1e-9 * max(1.0, best) and (not integral or _whole(found)):
        return found
    # The face was misread (data whose gains differ by less than the tolerance): the first stage as a bound.
    if objective == "units_then_cost":
        return _solve(cost, matrix, upper, (gain, _floor(best, integral))).x
    if integral:
        return _solve_whole(cost, matrix, upper, gain, best - 1e-9 * max(1.0, best)).x
    return _solve(cost, matrix, upper, (gain, _floor(best, False))).x


def _cheapest_on_face(first: Any, cost: np.ndarray, matrix: sparse.csr_matrix, upper: np.ndarray) -> np.ndarray | None:
    """The cheapest plan among those optimal for the first stage, or None when HiGHS cannot find it.

    A feasible plan is optimal for the first stage exactly when it meets complementary slackness with the first
    stage's duals: pairs with a positive reduced cost carry nothing and rows with a nonzero dual are full. That
    set is a face of the capacity polytope, so it is described by the same network matrix with some columns
    fixed at 0 and some rows as equalities: its vertices are whole when the quantities are, unlike a bound on
    the first stage's objective (whose slack, however small, cuts the polytope and leaves fractional vertices).
    """
    reduced = np.asarray(first.lower.marginals)
    duals = np.asarray(first.ineqlin.marginals)
    tolerance = 1e-7  # HiGHS's dual feasibility tolerance; the first stage's gains are at most 1
    open_column = reduced <= tolerance
    full = np.abs(duals) > tolerance
    result = linprog(
        cost,
        A_ub=matrix[~full] if (~full).any() else None,
        b_ub=upper[~full] if (~full).any() else None,
        A_eq=matrix[full] if full.any() else None,
        b_eq=upper[full] if full.any() else None,
        bounds=[(0, None) if ok else (0, 0) for ok in open_column],
        method="highs",
    )
    return result.x if result.success else None


@dataclass
class _Problem:
    """What every allocator here works on: validated quantities and the usable pairs with their cost and value."""

    supplies: list[Supply]
    demands: list[Demand]
    supply_q: np.ndarray
    demand_q: np.ndarray
    needed: np.ndarray
    rows: np.ndarray  # supply position of each pair
    columns: np.ndarray  # demand position of each pair
    costs: np.ndarray  # per unit, finite
    value: np.ndarray  # per unit: the score, or the share of the demand one unit fills


def _prepare(
    supply: Sequence[Supply | Offer],
    demand: Sequence[Demand | LineNeed],
    compatible: Compatibility | None,
    cost: PairTable | None,
    score: PairTable | None,
) -> _Problem:
    given_supply, given_demand = list(supply), list(demand)
    supplies = [_as_supply(s) for s in given_supply]
    demands = [_as_demand(d) for d in given_demand]
    supply_q, supply_at = _quantities(supplies, "supply")
    demand_q, demand_at = _quantities(demands, "demand")
    needed = _needed(demands)
    rows, columns = _pairs(compatible, given_supply, given_demand, supplies, demands, supply_at, demand_at)
    if compatible is not None and given_supply and given_demand:
        rows, columns = _servable(given_supply, given_demand, rows, columns)
    tables = (given_supply, given_demand, supplies, demands, supply_at, demand_at)
    costs = _values(cost, "cost", rows, columns, *tables)
    scores = _values(score, "score", rows, columns, *tables)
    if scores is not None and np.isinf(scores).any():
        raise ValueError("score: every value must be finite")
    costs = np.zeros(len(rows)) if costs is None else costs
    if np.isneginf(costs).any():
        raise ValueError("cost: -inf is not a cost")
    # Pairs that can carry something: both sides have a quantity and the cost is finite (+inf forbids a pair).
    usable = (supply_q[rows] > 0) & (demand_q[columns] > 0) & np.isfinite(costs)
    rows, columns, costs = rows[usable], columns[usable], costs[usable]
    value = scores[usable] if scores is not None else 1.0 / needed[columns]
    return _Problem(supplies, demands, supply_q, demand_q, needed, rows, columns, costs, value)


def _result(problem: _Problem, quantities: np.ndarray, objective: str, components: int, started: float) -> Allocation:
    shipped = quantities > 1e-9
    shipments = [
        Shipment(problem.supplies[i].id, problem.demands[j].id, float(round(q, 9)), float(c), float(v))
        for i, j, q, c, v in zip(
            problem.rows[shipped].tolist(),
            problem.columns[shipped].tolist(),
            quantities[shipped].tolist(),
            problem.costs[shipped].tolist(),
            problem.value[shipped].tolist(),
            strict=True,
        )
    ]
    summary = summarise(shipments, problem.demands, problem.supplies)
    return Allocation(shipments, summary, objective, components, time.perf_counter() - started)


def allocate(
    supply: Sequence[Supply | Offer],
    demand: Sequence[Demand | LineNeed],
    *,
    objective: Objective = "units_then_cost",
    compatible: Compatibility | None = None,
    cost: PairTable | None = None,
    score: PairTable | None = None,
    alpha: float = 1.0,
    beta: float = 0.0,
    integral: bool | None = None,
) -> Allocation:
    """An exactly optimal plan of quantities from ``supply`` to ``demand`` (module docstring).

    ``compatible``: a predicate over (supply, demand) as passed, explicit (supply id, demand id) pairs, or a
    boolean matrix (a row per supply, a column per demand); by default ``can_serve`` for offers and lines, equal
    ``kind`` otherwise. ``cost`` and ``score``: per unit of a pair, as a mapping {(supply id, demand id): value},
    a nested mapping {supply id: {demand id: value}}, a matrix, or a function of (supply, demand); a cost of
    +inf forbids the pair. ``alpha`` and ``beta`` weigh value and cost in ``mix``. ``integral``: solve the
    second stage of ``fill`` as an integer programme (default: when every quantity is whole).
    """
    started = time.perf_counter()
    if objective not in OBJECTIVES:
        raise ValueError(f"objective: expected one of {', '.join(OBJECTIVES)}, got {objective!r}")
    for name, weight in (("alpha", alpha), ("beta", beta)):
        if not math.isfinite(weight) or weight < 0:
            raise ValueError(f"{name}: must be a finite number at least 0, got {weight}")
    if objective == "mix" and beta > 0 and cost is None:
        raise ValueError("cost: the mix objective with beta > 0 needs a cost per pair")
    problem = _prepare(supply, demand, compatible, cost, score)
    if integral is None:
        integral = _whole(problem.supply_q) and _whole(problem.demand_q)
    keep = np.ones(len(problem.rows), dtype=bool)
    if objective == "mix":  # a pair whose unit costs more than it is worth never ships
        keep = alpha * problem.value - beta * problem.costs > 0
    quantities = np.zeros(len(problem.rows))
    kept = np.flatnonzero(keep)
    labels = _components(problem.rows[kept], problem.columns[kept], len(problem.supplies))
    order = np.argsort(labels, kind="stable")
    groups = np.split(kept[order], np.flatnonzero(np.diff(labels[order])) + 1) if len(kept) else []
    for group in groups:
        found = _component(
            objective,
            problem.demand_q,
            problem.supply_q,
            problem.needed,
            problem.rows[group],
            problem.columns[group],
            problem.costs[group],
            problem.value[group],
            alpha,
            beta,
            integral,
        )
        quantities[group] = np.round(found) if integral else found
    return _result(problem, quantities, objective, len(groups), started)


def _greedy(problem: _Problem, nearest: bool) -> np.ndarray:
    """Demands in the order given each take what they still want from their compatible supplies with stock:
    in the order the supplies were given (first come) or cheapest first (nearest first)."""
    stock = problem.supply_q.copy()
    quantities = np.zeros(len(problem.rows))
    by_demand = np.argsort(problem.columns, kind="stable")
    starts = np.searchsorted(problem.columns[by_demand], np.arange(len(problem.demands) + 1))
    for j in range(len(problem.demands)):
        pairs = by_demand[starts[j] : starts[j + 1]]
        if nearest:
            pairs = pairs[np.lexsort((problem.rows[pairs], problem.costs[pairs]))]
        else:
            pairs = pairs[np.argsort(problem.rows[pairs], kind="stable")]
        want = problem.demand_q[j]
        for k in pairs.tolist():
            if want <= 0:
                break
            take = min(want, stock[problem.rows[k]])
            if take > 0:
                quantities[k] = take
                stock[problem.rows[k]] -= take
                want -= take
    return quantities


def first_come(
    supply: Sequence[Supply | Offer],
    demand: Sequence[Demand | LineNeed],
    *,
    compatible: Compatibility | None = None,
    cost: PairTable | None = None,
) -> Allocation:
    """Baseline: demands in the order given (arrival) take from any compatible supply with stock, in the order
    the supplies are given, whatever the cost."""
    started = time.perf_counter()
    problem = _prepare(supply, demand, compatible, cost, None)
    return _result(problem, _greedy(problem, nearest=False), "first_come", 0, started)


def nearest_first(
    supply: Sequence[Supply | Offer],
    demand: Sequence[Demand | LineNeed],
    *,
    compatible: Compatibility | None = None,
    cost: PairTable | None = None,
) -> Allocation:
    """Baseline: demands in the order given each take from their cheapest (nearest) compatible supply with stock,
    then the next cheapest, until filled."""
    started = time.perf_counter()
    problem = _prepare(supply, demand, compatible, cost, None)
    return _result(problem, _greedy(problem, nearest=True), "nearest_first", 0, started)


def _components(rows: np.ndarray, columns: np.ndarray, n_supply: int) -> np.ndarray:
    """The connected component of every pair in the supply–demand graph."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    n_demand = int(columns.max()) + 1
    graph = sparse.coo_matrix(
        (np.ones(len(rows)), (rows, n_supply + columns)), shape=(n_supply + n_demand, n_supply + n_demand)
    )
    _, label = connected_components(graph, directed=False)
    return label[rows]


def summarise(shipments: Sequence[Shipment], demands: Sequence[Demand], supplies: Sequence[Supply]) -> Summary:
    """Units, fill rate, share filled, cost and what is left, of a plan (of any allocator)."""
    units = sum(s.quantity for s in shipments)
    asked = float(sum(d.quantity for d in demands))
    total_cost = sum(s.quantity * s.cost for s in shipments)
    to_demand: dict[Hashable, float] = {}
    for s in shipments:
        to_demand[s.demand_id] = to_demand.get(s.demand_id, 0.0) + s.quantity
    shares = [
        to_demand.get(d.id, 0.0) / (d.quantity if d.needed is None else d.needed)
        for d in demands
        if (d.quantity if d.needed is None else d.needed) > 0
    ]
    return Summary(
        units=units,
        asked=asked,
        fill_rate=units / asked if asked > 0 else 0.0,
        share_filled=float(np.mean(shares)) if shares else 0.0,
        total_cost=total_cost,
        cost_per_unit=total_cost / units if units > 0 else None,
        demands_served=sum(1 for q in to_demand.values() if q > 0),
        supply_left=float(sum(s.quantity for s in supplies)) - units,
    )
