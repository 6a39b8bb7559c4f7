"""Matching rounds are exactly optimal: checked against brute force on small random instances."""

import itertools
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.allocation import (
    URGENCY_PRIORITY,
    Candidate,
    allocate_lines,
    allocate_shifts,
    greedy_lines,
    greedy_shifts,
)
from matching.records import LineNeed, Offer, ShiftNeed, Volunteer
from matching.units import Side, can_serve

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


def test_a_line_that_needs_nothing_gets_nothing_and_spent_offers_give_nothing() -> None:
    """Lines needing 0 (or less, a stale record) and offers with nothing left take no part; the rest is planned."""
    done = LineNeed(1, 1, "", "material", "renovation", 1, still_needed=0, unit="m²")
    overfilled = LineNeed(2, 2, "", "material", "renovation", 1, still_needed=-3, unit="m²")
    open_line = LineNeed(3, 3, "", "material", "renovation", 1, still_needed=5, unit="m²")
    offers = [
        Offer(10, 1, "", "material", "renovation", 10, "m²"),
        Offer(11, 2, "", "material", "renovation", 0, "m²"),
        Offer(12, 3, "", "material", "renovation", -2, "m²"),
    ]
    candidates = [Candidate(line, offer, 0.9) for line in (1, 2, 3) for offer in (10, 11, 12)]
    for allocate in (allocate_lines, greedy_lines):
        plan, value = allocate([done, overfilled, open_line], offers, candidates)
        assert [(a.line_id, a.offer_id, a.quantity) for a in plan] == [(3, 10, 5)]
        assert value == pytest.approx(0.9 * URGENCY_PRIORITY[1])  # the whole line filled: its score once
    for allocate in (allocate_lines, greedy_lines):
        assert allocate([done], offers, [Candidate(1, 10, 0.9)]) == ([], 0.0)


# Units that measure different things (count words, areas, lengths, masses, time, money) and spellings of one unit.
UNITS = ("块", "盏", "个", "m²", "平方米", "米", "公斤", "吨", "小时", "元", "套", "件")
ITEMS = ("透水砖", "LED声控灯", "太阳能路灯", "扶手", "")


@st.composite
def mixed_unit_instances(draw: st.DrawFn) -> tuple[list[LineNeed], list[Offer], list[Candidate]]:
    lines = [
        LineNeed(
            i,
            i,
            "",
            "material",
            draw(st.sampled_from(("renovation", "travel_safety"))),
            1,
            still_needed=draw(st.integers(1, 9)),
            unit=draw(st.sampled_from(UNITS)),
            item=draw(st.sampled_from(ITEMS)),
        )
        for i in range(draw(st.integers(1, 4)))
    ]
    offers = [
        Offer(
            10 + j,
            j,
            "",
            draw(st.sampled_from(("material", "material", "venue"))),
            draw(st.sampled_from(("renovation", "travel_safety"))),
            remaining=draw(st.integers(1, 9)),
            unit=draw(st.sampled_from(UNITS)),
            item=draw(st.sampled_from(ITEMS)),
        )
        for j in range(draw(st.integers(1, 4)))
    ]
    # A caller's candidate list: every pair, whatever the units, each with a score.
    candidates = [Candidate(line.id, offer.id, draw(st.floats(0.05, 1.0))) for line in lines for offer in offers]
    return lines, offers, candidates


def _side(record: LineNeed | Offer) -> Side:
    return Side(record.kind, record.category, record.unit, record.item)


@settings(max_examples=150, deadline=None)
@given(mixed_unit_instances())
def test_no_plan_pairs_units_that_measure_different_things(
    instance: tuple[list[LineNeed], list[Offer], list[Candidate]],
) -> None:
    lines, offers, candidates = instance
    by_line, by_offer = {line.id: line for line in lines}, {offer.id: offer for offer in offers}
    for allocate in (allocate_lines, greedy_lines):
        plan, _ = allocate(lines, offers, candidates)
        for a in plan:
            assert can_serve(_side(by_offer[a.offer_id]), _side(by_line[a.line_id])).ok, (a, allocate.__name__)


def test_bricks_in_blocks_never_go_to_lamps_nor_square_metres_to_pieces() -> None:
    lamps = LineNeed(1, 1, "路灯", "material", "travel_safety", 1, 20, "盏", item="太阳能路灯")
    tiles = LineNeed(2, 2, "透水砖", "material", "renovation", 1, 30, "个", item="透水砖")
    bricks = Offer(10, 1, "", "material", "travel_safety", 500, "块", item="太阳能路灯")  # same name, other count word
    paving = Offer(11, 2, "", "material", "renovation", 800, "m²", item="透水砖")  # an area, not a count
    candidates = [Candidate(1, 10, 1.0), Candidate(2, 11, 1.0), Candidate(1, 11, 1.0), Candidate(2, 10, 1.0)]
    for allocate in (allocate_lines, greedy_lines):
        assert allocate([lamps, tiles], [bricks, paving], candidates) == ([], 0.0)
