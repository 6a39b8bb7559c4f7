"""Matching rounds: an exactly optimal plan for all open resource lines and shifts at once.

Resource lines are a transportation problem (a linear programme; its optimum is exact and, with
whole-number quantities, whole-numbered): quantities flow from offers to lines, a line may be
split across several offers and the rest left open. Shifts are an integer programme: a volunteer
takes a slot or not, never two overlapping shifts, never more hours than their weekly cap. Both
are solved with HiGHS through SciPy.

Objective: the sum of candidate scores, weighted by urgency so that when supply is short the
urgent needs are served first (``URGENCY_PRIORITY``: one critical unit outweighs a hundred
normal ones of equal score). For a line, a pair's value per unit is its score times the share of
the line that unit fills, so filling half a line is worth half the pair's score.

``greedy_*`` are the baselines: best weight first, while capacity lasts.

A (line, offer) candidate whose offer cannot serve the line (``matching.units.can_serve``: another kind, a
unit that measures something else) is never allocated, whoever built the candidate list; nor is a line that needs
nothing or an offer with nothing left.

Any other supply and demand, a cost or distance table, and a choice of objective (the share filled, units then
cost, a weighted mix): ``matching.transport`` (docs/allocation.md).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import combinations

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from matching.availability import hours_left_in_week, street_week
from matching.records import LineNeed, Offer, ShiftNeed, Volunteer
from matching.units import Condition, Side, can_serve, condition

URGENCY_PRIORITY = {0: 1.0, 1: 10.0, 2: 100.0, 3: 1000.0}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A scored pair a round may use: (line, offer) or (shift, volunteer)."""

    need_part_id: int
    candidate_id: int
    score: float


@dataclass(frozen=True, slots=True)
class LineAssignment:
    line_id: int
    offer_id: int
    quantity: float
    score: float


@dataclass(frozen=True, slots=True)
class ShiftAssignment:
    shift_id: int
    volunteer_id: int
    score: float


def _line_weights(lines: dict[int, LineNeed], candidates: list[Candidate]) -> np.ndarray:
    return np.asarray(
        [
            c.score * URGENCY_PRIORITY.get(lines[c.need_part_id].urgency, 1.0) / lines[c.need_part_id].still_needed
            for c in candidates
        ]
    )


_PLAIN = (Condition.UNITS, Condition.CATEGORY)


def serves(offer: Offer, line: LineNeed) -> bool:
    """``can_serve`` for the library's records, without conversions (the same unit, however spelt)."""
    if offer.kind == line.kind and offer.category == line.category and condition(offer.unit, line.unit) in _PLAIN:
        return True  # the common case, without building the sides
    return can_serve(
        Side(offer.kind, offer.category, offer.unit, offer.item, offer.item_key),
        Side(line.kind, line.category, line.unit, line.item, line.item_key),
    ).ok


def _line_pairs(
    by_line: dict[int, LineNeed], by_offer: dict[int, Offer], candidates: list[Candidate]
) -> list[Candidate]:
    """The candidates of known lines that need something and offers that have something left, whose offer can
    serve the line (a line needing nothing takes no part: its weight per unit would divide by zero)."""
    return [
        c
        for c in candidates
        if c.need_part_id in by_line
        and c.candidate_id in by_offer
        and by_line[c.need_part_id].still_needed > 0
        and by_offer[c.candidate_id].remaining > 0
        and serves(by_offer[c.candidate_id], by_line[c.need_part_id])
    ]


def allocate_lines(
    lines: list[LineNeed], offers: list[Offer], candidates: list[Candidate]
) -> tuple[list[LineAssignment], float]:
    """The optimal quantities per (line, offer) pair; returns the plan and its objective value."""
    by_line = {line.id: line for line in lines}
    by_offer = {offer.id: offer for offer in offers}
    pairs = _line_pairs(by_line, by_offer, candidates)
    if not pairs:
        return [], 0.0
    weights = _line_weights(by_line, pairs)
    line_rows = {line_id: row for row, line_id in enumerate(by_line)}
    offer_rows = {offer_id: len(line_rows) + row for row, offer_id in enumerate(by_offer)}
    rows = [line_rows[c.need_part_id] for c in pairs] + [offer_rows[c.candidate_id] for c in pairs]
    columns = list(range(len(pairs))) * 2
    matrix = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(line_rows) + len(offer_rows), len(pairs))
    )
    # A stale record below zero bounds nothing (its row is empty): it must not make the programme infeasible.
    capacity = [max(by_line[i].still_needed, 0.0) for i in line_rows] + [
        max(by_offer[i].remaining, 0.0) for i in offer_rows
    ]
    result = linprog(-weights, A_ub=matrix, b_ub=capacity, bounds=(0, None), method="highs")
    if not result.success:
        raise RuntimeError(f"the line allocation could not be solved: {result.message}")
    plan = [
        LineAssignment(c.need_part_id, c.candidate_id, float(round(x, 6)), c.score)
        for c, x in zip(pairs, result.x, strict=True)
        if x > 1e-9
    ]
    return plan, float(-result.fun)


def _overlap(a: ShiftNeed, b: ShiftNeed) -> bool:
    return a.starts_at < b.ends_at and b.starts_at < a.ends_at


def _hours(shift: ShiftNeed) -> float:
    return (shift.ends_at - shift.starts_at).total_seconds() / 3600


def allocate_shifts(
    shifts: list[ShiftNeed], volunteers: list[Volunteer], candidates: list[Candidate]
) -> tuple[list[ShiftAssignment], float]:
    """The optimal set of (shift, volunteer) pairs under slots, overlaps and weekly hour caps."""
    by_shift = {shift.id: shift for shift in shifts}
    by_volunteer = {volunteer.id: volunteer for volunteer in volunteers}
    pairs = [c for c in candidates if c.need_part_id in by_shift and c.candidate_id in by_volunteer]
    if not pairs:
        return [], 0.0
    weights = np.asarray([c.score * URGENCY_PRIORITY.get(by_shift[c.need_part_id].urgency, 1.0) for c in pairs])
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    upper: list[float] = []

    def add_row(entries: list[tuple[int, float]], bound: float) -> None:
        row = len(upper)
        for column, value in entries:
            rows.append(row)
            columns.append(column)
            values.append(value)
        upper.append(bound)

    by_shift_pairs: dict[int, list[int]] = defaultdict(list)
    by_volunteer_pairs: dict[int, list[int]] = defaultdict(list)
    for column, c in enumerate(pairs):
        by_shift_pairs[c.need_part_id].append(column)
        by_volunteer_pairs[c.candidate_id].append(column)
    for shift_id, columns_of_shift in by_shift_pairs.items():
        add_row([(column, 1.0) for column in columns_of_shift], by_shift[shift_id].open_slots)
    for volunteer_id, columns_of_volunteer in by_volunteer_pairs.items():
        volunteer = by_volunteer[volunteer_id]
        # One hours budget per street week: a shift draws on the hours of its own week.
        by_week: dict[date, list[int]] = defaultdict(list)
        for column in columns_of_volunteer:
            by_week[street_week(by_shift[pairs[column].need_part_id].starts_at)].append(column)
        for of_week in by_week.values():
            hours_left = hours_left_in_week(volunteer, by_shift[pairs[of_week[0]].need_part_id].starts_at)
            add_row([(column, _hours(by_shift[pairs[column].need_part_id])) for column in of_week], hours_left)
        for first, second in combinations(columns_of_volunteer, 2):
            if _overlap(by_shift[pairs[first].need_part_id], by_shift[pairs[second].need_part_id]):
                add_row([(first, 1.0), (second, 1.0)], 1.0)
    matrix = sparse.csr_matrix((values, (rows, columns)), shape=(len(upper), len(pairs)))
    result = milp(
        -weights,
        constraints=LinearConstraint(matrix, -np.inf, np.asarray(upper)),
        integrality=np.ones(len(pairs)),
        bounds=Bounds(0, 1),
    )
    if not result.success:
        raise RuntimeError(f"the shift allocation could not be solved: {result.message}")
    plan = [
        ShiftAssignment(c.need_part_id, c.candidate_id, c.score)
        for c, y in zip(pairs, result.x, strict=True)
        if y > 0.5
    ]
    return plan, float(-result.fun)


def greedy_shifts(
    shifts: list[ShiftNeed], volunteers: list[Volunteer], candidates: list[Candidate]
) -> tuple[list[ShiftAssignment], float]:
    """Baseline: take the heaviest pairs first while slots, hours and overlaps allow."""
    by_shift = {shift.id: shift for shift in shifts}
    by_volunteer = {volunteer.id: volunteer for volunteer in volunteers}
    slots = {shift.id: shift.open_slots for shift in shifts}
    hours_left: dict[tuple[int, date], float] = {}  # per volunteer and street week
    taken: dict[int, list[ShiftNeed]] = defaultdict(list)
    plan: list[ShiftAssignment] = []
    total = 0.0
    ranked = sorted(
        (c for c in candidates if c.need_part_id in by_shift and c.candidate_id in by_volunteer),
        key=lambda c: -c.score * URGENCY_PRIORITY.get(by_shift[c.need_part_id].urgency, 1.0),
    )
    for c in ranked:
        shift = by_shift[c.need_part_id]
        budget = (c.candidate_id, street_week(shift.starts_at))
        if budget not in hours_left:
            hours_left[budget] = hours_left_in_week(by_volunteer[c.candidate_id], shift.starts_at)
        if slots[shift.id] <= 0 or hours_left[budget] < _hours(shift):
            continue
        if any(_overlap(shift, other) for other in taken[c.candidate_id]):
            continue
        slots[shift.id] -= 1
        hours_left[budget] -= _hours(shift)
        taken[c.candidate_id].append(shift)
        plan.append(ShiftAssignment(shift.id, c.candidate_id, c.score))
        total += c.score * URGENCY_PRIORITY.get(shift.urgency, 1.0)
    return plan, total


def greedy_lines(
    lines: list[LineNeed], offers: list[Offer], candidates: list[Candidate]
) -> tuple[list[LineAssignment], float]:
    """Baseline: fill lines from the best pairs first, as much as each offer has left."""
    by_line = {line.id: line for line in lines}
    by_offer = {offer.id: offer for offer in offers}
    pairs = _line_pairs(by_line, by_offer, candidates)
    weights = _line_weights(by_line, pairs) if pairs else np.zeros(0)
    need = {line.id: line.still_needed for line in lines}
    left = {offer.id: offer.remaining for offer in offers}
    plan: list[LineAssignment] = []
    total = 0.0
    for position in np.argsort(-weights, kind="stable"):
        c = pairs[int(position)]
        amount = min(need[c.need_part_id], left[c.candidate_id])
        if amount <= 0:
            continue
        need[c.need_part_id] -= amount
        left[c.candidate_id] -= amount
        plan.append(LineAssignment(c.need_part_id, c.candidate_id, amount, c.score))
        total += float(weights[int(position)]) * amount
    return plan, total
