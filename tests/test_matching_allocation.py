"""Matching rounds are exactly optimal: checked against brute force on small random instances."""

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest

from matching.allocation import (
    URGENCY_PRIORITY,
    Candidate,
    allocate_lines,
    allocate_shifts,
    greedy_lines,
    greedy_shifts,
)
from matching.records import LineNeed, Offer, ShiftNeed, Volunteer

MONDAY = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def random_shift_instance(rng: random.Random) -> tuple[list[ShiftNeed], list[Volunteer], list[Candidate]]:
    shifts = []
    for i in range(rng.randint(2, 4)):
        start = MONDAY + timedelta(hours=rng.choice([0, 1, 2, 5]))
        shifts.append(
            ShiftNeed(
                i,
                i,
                "",
                "care",
                1,
                start,
                start + timedelta(hours=rng.choice([1, 2, 3])),
                open_slots=rng.randint(1, 2),
                urgency=rng.randint(0, 3),
            )
        )
    volunteers = [
        Volunteer(10 + j, 1, weekly_hour_cap=rng.choice([2, 3, 5]), hours_this_week=rng.choice([0, 1]))
        for j in range(rng.randint(2, 4))
    ]
    pairs = [(s.id, v.id) for s in shifts for v in volunteers if rng.random() < 0.7][:13]
    return shifts, volunteers, [Candidate(s, v, round(rng.uniform(0.05, 1.0), 3)) for s, v in pairs]


def brute_force_shifts(shifts: list[ShiftNeed], volunteers: list[Volunteer], candidates: list[Candidate]) -> float:
    by_shift = {s.id: s for s in shifts}
    by_volunteer = {v.id: v for v in volunteers}
    best = 0.0
    for chosen in itertools.product([0, 1], repeat=len(candidates)):
        picked = [c for c, bit in zip(candidates, chosen, strict=True) if bit]
        if any(sum(c.need_part_id == s.id for c in picked) > s.open_slots for s in shifts):
            continue
        feasible = True
        for v in volunteers:
            mine = [by_shift[c.need_part_id] for c in picked if c.candidate_id == v.id]
            hours = sum((s.ends_at - s.starts_at).total_seconds() / 3600 for s in mine)
            overlap = any(
                a.starts_at < b.ends_at and b.starts_at < a.ends_at for a, b in itertools.combinations(mine, 2)
            )
            if overlap or hours > by_volunteer[v.id].weekly_hour_cap - by_volunteer[v.id].hours_this_week:
                feasible = False
                break
        if feasible:
            value = sum(c.score * URGENCY_PRIORITY[by_shift[c.need_part_id].urgency] for c in picked)
            best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_shift_rounds_equal_brute_force(seed: int) -> None:
    shifts, volunteers, candidates = random_shift_instance(random.Random(seed))
    plan, value = allocate_shifts(shifts, volunteers, candidates)
    assert value == pytest.approx(brute_force_shifts(shifts, volunteers, candidates), abs=1e-6)
    _, greedy_value = greedy_shifts(shifts, volunteers, candidates)
    assert greedy_value <= value + 1e-6
    # The plan itself respects every capacity (not just its objective value).
    for shift in shifts:
        assert sum(a.shift_id == shift.id for a in plan) <= shift.open_slots


def random_line_instance(rng: random.Random) -> tuple[list[LineNeed], list[Offer], list[Candidate]]:
    lines = [
        LineNeed(
            i, i, "", "material", "renovation", 1, still_needed=rng.randint(1, 4), unit="m²", urgency=rng.randint(0, 3)
        )
        for i in range(rng.randint(1, 3))
    ]
    offers = [
        Offer(10 + j, j, "", "material", "renovation", remaining=rng.randint(1, 4), unit="m²")
        for j in range(rng.randint(1, 3))
    ]
    candidates = [
        Candidate(line.id, offer.id, round(rng.uniform(0.05, 1.0), 3))
        for line in lines
        for offer in offers
        if rng.random() < 0.8
    ]
    return lines, offers, candidates


def brute_force_lines(lines: list[LineNeed], offers: list[Offer], candidates: list[Candidate]) -> float:
    """With whole quantities the transportation optimum is whole, so enumerating whole plans is exact."""
    by_line = {line.id: line for line in lines}
    best = 0.0
    ranges = [range(0, int(min(by_line[c.need_part_id].still_needed, 4)) + 1) for c in candidates]
    for amounts in itertools.product(*ranges):
        if any(
            sum(a for c, a in zip(candidates, amounts, strict=True) if c.need_part_id == line.id) > line.still_needed
            for line in lines
        ):
            continue
        if any(
            sum(a for c, a in zip(candidates, amounts, strict=True) if c.candidate_id == offer.id) > offer.remaining
            for offer in offers
        ):
            continue
        value = sum(
            c.score * URGENCY_PRIORITY[by_line[c.need_part_id].urgency] / by_line[c.need_part_id].still_needed * a
            for c, a in zip(candidates, amounts, strict=True)
        )
        best = max(best, value)
    return best


@pytest.mark.parametrize("seed", range(25))
def test_line_rounds_equal_brute_force_and_split_lines(seed: int) -> None:
    lines, offers, candidates = random_line_instance(random.Random(seed))
    plan, value = allocate_lines(lines, offers, candidates)
    assert value == pytest.approx(brute_force_lines(lines, offers, candidates), abs=1e-6)
    assert greedy_lines(lines, offers, candidates)[1] <= value + 1e-6
    for line in lines:
        assert sum(a.quantity for a in plan if a.line_id == line.id) <= line.still_needed + 1e-9
    for offer in offers:
        assert sum(a.quantity for a in plan if a.offer_id == offer.id) <= offer.remaining + 1e-9


def test_a_line_is_split_across_offers_and_the_rest_left_open() -> None:
    bricks = LineNeed(1, 1, "透水砖", "material", "renovation", 1, still_needed=5000, unit="m²")
    offers = [
        Offer(10, 1, "", "material", "renovation", 3200, "m²"),
        Offer(11, 2, "", "material", "renovation", 1000, "m²"),
    ]
    plan, _ = allocate_lines([bricks], offers, [Candidate(1, 10, 0.9), Candidate(1, 11, 0.6)])
    assert sorted((a.offer_id, a.quantity) for a in plan) == [(10, 3200), (11, 1000)]


def test_when_supply_is_short_the_urgent_need_is_served_first() -> None:
    start = MONDAY
    normal = ShiftNeed(1, 1, "", "care", 1, start, start + timedelta(hours=2), open_slots=1, urgency=1)
    critical = ShiftNeed(2, 2, "", "care", 1, start, start + timedelta(hours=2), open_slots=1, urgency=3)
    volunteer = Volunteer(10, 1)
    plan, _ = allocate_shifts([normal, critical], [volunteer], [Candidate(1, 10, 0.95), Candidate(2, 10, 0.3)])
    assert [(a.shift_id, a.volunteer_id) for a in plan] == [(2, 10)]


def test_greedy_can_be_beaten_by_the_optimal_round() -> None:
    """One volunteer fits both shifts only if nobody greedily takes the big one."""
    a = ShiftNeed(1, 1, "", "care", 1, MONDAY, MONDAY + timedelta(hours=2), open_slots=1)
    b = ShiftNeed(2, 2, "", "care", 1, MONDAY, MONDAY + timedelta(hours=2), open_slots=1)
    x, y = Volunteer(10, 1), Volunteer(11, 1)
    candidates = [Candidate(1, 10, 0.9), Candidate(2, 10, 0.8), Candidate(1, 11, 0.7)]
    _, optimal = allocate_shifts([a, b], [x, y], candidates)
    _, greedy = greedy_shifts([a, b], [x, y], candidates)
    assert optimal == pytest.approx((0.8 + 0.7) * 10)
    assert greedy == pytest.approx(0.9 * 10)
