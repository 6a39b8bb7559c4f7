"""A matching round in the library: the right candidates from the indexes, explained and placed, then an
exact plan per component that equals the whole programme's optimum."""

import random
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from matching import GridPoint, LineNeed, Offer, OfferIndex, ShiftNeed, Volunteer, VolunteerIndex, WeeklyWindow
from matching.allocation import Candidate, allocate_shifts
from matching.explain import Reason
from matching.round import (
    allocate_shift_components,
    plan_round,
    shift_components,
    solve_shifts,
    with_capacity,
)
from tests.test_matching_allocation import brute_force_shifts, random_shift_instance

GRIDS = [GridPoint(1, 36.1100, 120.3500), GridPoint(2, 36.1100, 120.3722), GridPoint(3, 36.2000, 120.3500)]
NOW = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
SATURDAY_9 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)  # 09:00 in Qingdao
ALL_WEEK = tuple(WeeklyWindow(day, 0, 1440) for day in range(7))


def shift(id: int, start: datetime = SATURDAY_9, hours: float = 2, slots: int = 1, **changes: object) -> ShiftNeed:
    values: dict[str, object] = {
        "id": id,
        "need_id": 100 + id,
        "text": "",
        "category": "elderly_care",
        "grid_id": 1,
        "starts_at": start,
        "ends_at": start + timedelta(hours=hours),
        "open_slots": slots,
        "skill_ids": frozenset({1}),
    }
    values.update(changes)
    return ShiftNeed(**values)  # type: ignore[arg-type]


def volunteer(id: int, **changes: object) -> Volunteer:
    values: dict[str, object] = {"id": id, "home_grid_id": 1, "availability": ALL_WEEK, "skill_ids": frozenset({1})}
    values.update(changes)
    return Volunteer(**values)  # type: ignore[arg-type]


def test_the_round_imports_nothing_from_the_application() -> None:
    code = (
        "import sys, matching.round;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'marketplace', 'litestar', 'sqlmodel', 'sqlalchemy'}];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_shift_gets_its_top_k_and_proposals_carry_score_reasons_and_place() -> None:
    people = [
        volunteer(10),
        volunteer(11, home_grid_id=2),  # 2 km away
        volunteer(12, home_grid_id=3),  # 10 km away
        volunteer(13, skill_ids=frozenset()),
    ]
    index = VolunteerIndex(people, GRIDS)
    plan = plan_round([], [shift(1, slots=2)], offer_index=None, volunteer_index=index, now=NOW, k=3)
    ranked = index.rank(shift(1), k=3)
    # The two best of the shift's top 3 fill its two slots, each with the index's own score and reasons.
    assert [(p.candidate_id, p.shown_rank) for p in plan.shifts] == [
        (ranked[0].candidate_id, 1),
        (ranked[1].candidate_id, 2),
    ]
    best = plan.shifts[0]
    assert best.kind == "shift" and best.part_id == 1 and best.need_id == 101
    assert best.score == pytest.approx(ranked[0].score) and best.reasons == ranked[0].reasons
    assert best.reasons and all(isinstance(reason, Reason) and reason.zh and reason.en for reason in best.reasons)
    assert plan.stats.shift_candidates == 3 and plan.stats.shifts == 1


def test_taken_pairs_busy_and_unknown_volunteers_are_skipped_and_places_renumbered() -> None:
    people = [volunteer(10), volunteer(11, home_grid_id=2), volunteer(12, home_grid_id=3), volunteer(14)]
    index = VolunteerIndex(people, GRIDS)
    order = [r.candidate_id for r in index.rank(shift(1), k=4)]
    first, second, third, fourth = order
    plan = plan_round(
        [],
        [shift(1, slots=4)],
        offer_index=None,
        volunteer_index=index,
        now=NOW,
        k=2,
        taken_shifts={(1, first)},  # already has a live match with this shift
        busy={second: [(SATURDAY_9 + timedelta(hours=1), SATURDAY_9 + timedelta(hours=5))]},  # booked elsewhere then
        volunteers=[v for v in people if v.id != third],  # e.g. no longer a volunteer
    )
    # Asked for k = 2 usable ones: the first three are unusable, so the list goes deeper and starts at place 1.
    assert [(p.candidate_id, p.shown_rank) for p in plan.shifts] == [(fourth, 1)]


def test_lines_take_the_offers_top_k_split_quantities_and_place() -> None:
    line = LineNeed(1, 7, "透水砖", "material", "renovation", 1, still_needed=5000, unit="m²", urgency=2)
    offers = [
        Offer(20, 1, "透水砖 3200 平方米", "material", "renovation", 3200, "m²", frozenset({1})),
        Offer(21, 2, "透水砖", "material", "renovation", 1000, "m²", frozenset({1})),
        Offer(22, 3, "音响", "service", "culture_sports", 10, "套", frozenset({1})),  # another kind: never a candidate
    ]
    index = OfferIndex(offers, GRIDS)
    plan = plan_round([line], [], offer_index=index, volunteer_index=None, now=NOW, k=5)
    got = {p.candidate_id: p for p in plan.lines}
    assert set(got) == {20, 21}
    assert got[20].quantity == pytest.approx(3200) and got[21].quantity == pytest.approx(1000)
    ranked = {r.candidate_id: (place, r) for place, r in enumerate(index.rank(line, NOW, k=5), start=1)}
    for offer_id, proposal in got.items():
        place, expected = ranked[offer_id]
        assert proposal.shown_rank == place and proposal.reasons == expected.reasons and proposal.need_id == 7
    assert any("still needed" in reason.en for reason in got[20].reasons)


def test_capacities_given_override_the_indexes_records() -> None:
    line = LineNeed(1, 7, "", "material", "renovation", 1, still_needed=100, unit="m²")
    offer = Offer(20, 1, "", "material", "renovation", 100, "m²", frozenset({1}))
    index = OfferIndex([offer], GRIDS)
    reduced, _ = with_capacity([offer], [], reserved={20: 60.0}, booked={})
    plan = plan_round([line], [], offer_index=index, volunteer_index=None, now=NOW, offers=reduced)
    assert [p.quantity for p in plan.lines] == [pytest.approx(40)]  # 60 are held by proposals awaiting review


def test_progress_reports_every_stage_up_to_its_total() -> None:
    people = [volunteer(i) for i in range(10, 20)]
    shifts = [shift(i, start=SATURDAY_9 + timedelta(hours=3 * i)) for i in range(1, 6)]
    seen: list[tuple[str, int, int]] = []
    plan_round(
        [],
        shifts,
        offer_index=None,
        volunteer_index=VolunteerIndex(people, GRIDS),
        now=NOW,
        progress=lambda *event: seen.append(event),
    )
    finals = {stage: (done, total) for stage, done, total in seen}
    assert finals["shifts"] == (5, 5) and finals["allocation"][0] == finals["allocation"][1]


def test_progress_counts_up_once_to_the_total_even_when_parts_are_asked_again() -> None:
    people = [volunteer(i) for i in range(10, 40)]
    shifts = [shift(i, start=SATURDAY_9 + timedelta(hours=3 * (i % 5))) for i in range(1, 8)]
    taken = {(s.id, v.id) for s in shifts[:3] for v in people[:25]}  # these shifts need a second, larger ask
    seen: list[tuple[str, int, int]] = []
    plan = plan_round(
        [],
        shifts,
        offer_index=None,
        volunteer_index=VolunteerIndex(people, GRIDS),
        now=NOW,
        k=3,
        taken_shifts=taken,
        progress=lambda *event: seen.append(event),
    )
    counts = [done for stage, done, _ in seen if stage == "shifts"]
    assert counts == sorted(set(counts)) and counts[-1] == len(shifts)
    assert all((p.part_id, p.candidate_id) not in taken for p in plan.shifts)
    assert plan.stats.shift_candidates == 3 * len(shifts)


@pytest.mark.parametrize("seed", range(40))
def test_the_component_plan_equals_the_whole_programme_and_brute_force(seed: int) -> None:
    shifts, volunteers, candidates = random_shift_instance(random.Random(seed))
    _, whole = allocate_shifts(shifts, volunteers, candidates)
    plan, value, _sizes = allocate_shift_components(shifts, volunteers, candidates)
    assert value == pytest.approx(whole, abs=1e-6)
    assert value == pytest.approx(brute_force_shifts(shifts, volunteers, candidates), abs=1e-6)
    by_shift = {s.id: s for s in shifts}
    for s in shifts:
        assert sum(a.shift_id == s.id for a in plan) <= s.open_slots
    for v in volunteers:
        mine = [by_shift[a.shift_id] for a in plan if a.volunteer_id == v.id]
        assert (
            sum((m.ends_at - m.starts_at).total_seconds() / 3600 for m in mine) <= v.weekly_hour_cap - v.hours_this_week
        )
        assert not any(a.starts_at < b.ends_at and b.starts_at < a.ends_at for a in mine for b in mine if a is not b)


@pytest.mark.parametrize("seed", range(5))
def test_the_tight_programme_equals_allocate_shifts_on_larger_instances(seed: int) -> None:
    rng = random.Random(seed)
    shifts = [
        shift(
            i,
            start=SATURDAY_9 + timedelta(hours=rng.choice([0, 1, 2, 4, 6, 24])),
            hours=rng.choice([1, 2, 3]),
            slots=rng.randint(1, 3),
            urgency=rng.randint(0, 3),
        )
        for i in range(1, 16)
    ]
    people = [
        volunteer(100 + j, weekly_hour_cap=rng.choice([2, 4, 6]), hours_this_week=rng.choice([0, 1])) for j in range(20)
    ]
    candidates = [Candidate(s.id, v.id, round(rng.uniform(0.05, 1), 3)) for s in shifts for v in rng.sample(people, 6)]
    _, expected = allocate_shifts(shifts, people, candidates)
    _, value = solve_shifts({s.id: s for s in shifts}, {v.id: v for v in people}, candidates)
    assert value == pytest.approx(expected, rel=1e-4)  # allocate_shifts stops within HiGHS's default 0.01% gap
    assert value >= expected - 1e-6


def test_components_are_the_connected_parts_of_the_candidate_graph() -> None:
    pairs = [
        Candidate(1, 10, 0.5),
        Candidate(2, 10, 0.5),
        Candidate(3, 11, 0.5),
        Candidate(4, 12, 0.5),
        Candidate(3, 12, 0.4),
    ]
    parts = sorted(sorted((c.need_part_id, c.candidate_id) for c in component) for component in shift_components(pairs))
    assert parts == [[(1, 10), (2, 10)], [(3, 11), (3, 12), (4, 12)]]


def test_greedy_is_the_baseline_on_the_same_candidates() -> None:
    people = [volunteer(10, weekly_hour_cap=2), volunteer(11, weekly_hour_cap=2)]
    shifts = [shift(1), shift(2, start=SATURDAY_9 + timedelta(days=1))]
    index = VolunteerIndex(people, GRIDS)
    exact = plan_round([], shifts, offer_index=None, volunteer_index=index, now=NOW)
    greedy = plan_round([], shifts, offer_index=None, volunteer_index=index, now=NOW, method="greedy")
    assert len(exact.shifts) == 2 and greedy.stats.objective <= exact.stats.objective + 1e-9


def test_k_must_be_positive() -> None:
    with pytest.raises(ValueError, match="k must be at least 1"):
        plan_round([], [], offer_index=None, volunteer_index=None, now=NOW, k=0)


@pytest.mark.parametrize("method", ["optimal", "greedy"])
def test_a_round_never_pairs_a_line_with_an_offer_counted_in_another_unit(method: str) -> None:
    """Bricks in 块 do not light a street counted in 盏, square metres do not count pieces, a tonne is not a kilo
    (claims take the offer's quantity as it is), and what reads closest in text changes none of that."""
    lines = [
        LineNeed(1, 1, "太阳能路灯 砖", "material", "travel_safety", 1, 20, "盏", item="太阳能路灯"),
        LineNeed(2, 2, "透水砖 平方米", "material", "renovation", 1, 30, "个", item="透水砖"),
        LineNeed(3, 3, "大米", "material", "livelihood", 1, 50, "公斤", item="大米"),
        LineNeed(4, 4, "扶手", "material", "renovation", 1, 12, "米", item="扶手"),
    ]
    offers = [
        Offer(10, 1, "太阳能路灯 砖", "material", "travel_safety", 500, "块", frozenset({1}), item="太阳能路灯"),
        Offer(11, 2, "透水砖 平方米", "material", "renovation", 800, "m²", frozenset({1}), item="透水砖"),
        Offer(12, 3, "大米", "material", "livelihood", 2, "吨", frozenset({1}), item="大米"),
        Offer(13, 4, "扶手", "material", "renovation", 40, "平方米", frozenset({1}), item="扶手"),
        Offer(14, 5, "太阳能路灯", "material", "travel_safety", 8, "个", frozenset({1}), item="太阳能路灯"),
    ]
    plan = plan_round(lines, [], offer_index=OfferIndex(offers, GRIDS), volunteer_index=None, now=NOW, method=method)
    # The lamps in the generic 个 are the only offer that can serve any of these lines.
    assert [(p.part_id, p.candidate_id, p.quantity) for p in plan.lines] == [(1, 14, pytest.approx(8))]


def test_hours_are_budgeted_per_street_week_by_every_allocator() -> None:
    """A weekly cap is per week: booked full next week leaves this week free, and two weeks' shifts both fit."""
    from matching.allocation import greedy_shifts
    from matching.availability import street_week

    next_saturday = SATURDAY_9 + timedelta(days=7)
    shifts = [
        shift(1, hours=3),
        shift(2, start=next_saturday, hours=3),
        shift(3, hours=3),
        shift(4, start=next_saturday, hours=3),
    ]
    booked_next_week = volunteer(10, weekly_hour_cap=4, hours_by_week={street_week(next_saturday): 4.0})
    free = volunteer(11, weekly_hour_cap=4)
    pairs = [Candidate(1, 10, 0.9), Candidate(2, 10, 0.9), Candidate(3, 11, 0.8), Candidate(4, 11, 0.8)]
    expected = {(1, 10), (3, 11), (4, 11)}  # not shift 2 for 10 (full that week); both weeks for 11
    by_id = {s.id: s for s in shifts}
    people = {v.id: v for v in (booked_next_week, free)}
    solved, _ = solve_shifts(by_id, people, pairs)
    assert {(a.shift_id, a.volunteer_id) for a in solved} == expected
    whole, _ = allocate_shifts(shifts, list(people.values()), pairs)
    assert {(a.shift_id, a.volunteer_id) for a in whole} == expected
    greedy, _ = greedy_shifts(shifts, list(people.values()), pairs)
    assert {(a.shift_id, a.volunteer_id) for a in greedy} == expected
    # Pending proposals add to the week they fall in.
    _, [held] = with_capacity([], [free], reserved={}, booked_by_week={11: {street_week(SATURDAY_9): 2.0}})
    solved, _ = solve_shifts(by_id, {11: held}, [Candidate(3, 11, 0.8), Candidate(4, 11, 0.8)])
    assert {(a.shift_id, a.volunteer_id) for a in solved} == {(4, 11)}
