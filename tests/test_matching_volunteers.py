"""The matching library ranks volunteers for a shift, explains why, and stays independent of the app."""

import random
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from matching import DEFAULT_WEIGHTS, GridPoint, ShiftNeed, TextSpace, Volunteer, VolunteerIndex, WeeklyWindow

GRIDS = [GridPoint(1, 36.1100, 120.3500), GridPoint(2, 36.1100, 120.3722), GridPoint(3, 36.2000, 120.3500)]
# Saturday 2026-11-28, 09:00–11:00 in Qingdao (UTC+8).
SATURDAY_MORNING = (datetime(2026, 11, 28, 1, 0, tzinfo=UTC), datetime(2026, 11, 28, 3, 0, tzinfo=UTC))
SATURDAY_8_TO_12 = (WeeklyWindow(5, 8 * 60, 12 * 60),)


def shift(**changes: object) -> ShiftNeed:
    values: dict[str, object] = {
        "id": 1,
        "need_id": 1,
        "text": "为独居老人上门理发",
        "category": "elderly_care",
        "grid_id": 1,
        "starts_at": SATURDAY_MORNING[0],
        "ends_at": SATURDAY_MORNING[1],
        "open_slots": 2,
        "skill_ids": frozenset({1, 2, 3}),
    }
    values.update(changes)
    return ShiftNeed(**values)  # type: ignore[arg-type]


def volunteer(id: int, **changes: object) -> Volunteer:
    values: dict[str, object] = {"id": id, "home_grid_id": 1, "availability": SATURDAY_8_TO_12}
    values.update(changes)
    return Volunteer(**values)  # type: ignore[arg-type]


def test_matching_imports_nothing_from_the_application() -> None:
    code = (
        "import sys, matching, matching.volunteers, matching.text, matching.geo;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'marketplace', 'litestar', 'sqlmodel', 'sqlalchemy'}];"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_skills_time_and_distance_order_the_candidates() -> None:
    volunteers = [
        volunteer(10, skill_ids=frozenset({1, 2, 3})),
        volunteer(11, skill_ids=frozenset({1})),
        volunteer(12, skill_ids=frozenset({1, 2, 3}), home_grid_id=3),  # 10 km away
        volunteer(13, skill_ids=frozenset({1, 2, 3}), availability=(WeeklyWindow(0, 480, 720),)),  # Mondays only
        volunteer(14, skill_ids=frozenset({1, 2, 3}), weekly_hour_cap=4, hours_this_week=3),  # no hours left
    ]
    ranked = VolunteerIndex(volunteers, GRIDS).rank(shift(), k=10)
    assert [r.candidate_id for r in ranked] == [10, 12, 11]  # 13 is never free then, 14 has no time left


def test_explanations_are_sentences_in_both_languages() -> None:
    volunteers = [volunteer(10, skill_ids=frozenset({1, 2}), home_grid_id=2, fulfilled=9, no_show=1)]
    [best] = VolunteerIndex(volunteers, GRIDS).rank(shift(), k=1)
    english = [reason.en for reason in best.reasons]
    chinese = [reason.zh for reason in best.reasons]
    assert "has 2 of the 3 required skills" in english
    assert "available for the whole shift" in english
    assert "具备所需3项技能中的2项" in chinese
    assert "整个班次时间都有空" in chinese
    assert len(best.reasons) <= 3


def test_distance_is_reported_in_kilometres() -> None:
    [best] = VolunteerIndex([volunteer(10, home_grid_id=2)], GRIDS).rank(shift(skill_ids=frozenset()), k=1)
    # 0.0222° of longitude at 36.11° N is 2.0 km.
    assert "2.0 km from the grid" in [reason.en for reason in best.reasons]
    assert "距项目网格2.0公里" in [reason.zh for reason in best.reasons]


def test_partial_availability_is_measured_by_the_half_hour() -> None:
    half = (WeeklyWindow(5, 9 * 60, 10 * 60),)  # free 09:00–10:00 of a 09:00–11:00 shift
    [best] = VolunteerIndex([volunteer(10, availability=half)], GRIDS).rank(shift(skill_ids=frozenset()), k=1)
    assert "available for 50% of the shift" in [reason.en for reason in best.reasons]


def test_chinese_text_similarity_needs_no_word_segmenter() -> None:
    space = TextSpace(["铺设透水砖", "上门理发", "法律咨询", "心理疏导"])
    scores = space.similarity("小区铺设透水砖", space.embed(["铺设透水砖", "上门理发", "法律咨询"]))
    assert scores.argmax() == 0 and scores[0] > 0.5 > scores[1]


def test_top_k_equals_a_plain_python_ranking_on_random_volunteers() -> None:
    rng = random.Random(5)
    volunteers = [
        volunteer(
            i,
            home_grid_id=rng.choice([1, 2, 3]),
            skill_ids=frozenset(rng.sample(range(1, 8), rng.randint(0, 4))),
            availability=(WeeklyWindow(5, rng.choice([480, 540, 600]), rng.choice([630, 660, 720])),),
            fulfilled=rng.randint(0, 10),
            no_show=rng.randint(0, 3),
            weekly_hour_cap=rng.choice([4, 8]),
            hours_this_week=rng.choice([0, 1, 3]),
        )
        for i in range(300)
    ]
    index = VolunteerIndex(volunteers, GRIDS)
    need = shift()
    features = index.features(need)
    by_id = {
        int(index.ids[row]): sum(
            DEFAULT_WEIGHTS[name] * float(features.values[name][position]) for name in DEFAULT_WEIGHTS
        )
        for position, row in enumerate(features.rows)
    }
    expected = sorted(by_id, key=lambda vid: (-by_id[vid], vid))[:10]
    assert [r.candidate_id for r in index.rank(need, k=10)] == expected
    assert [r.score for r in index.rank(need, k=10)] == pytest.approx([by_id[v] for v in expected])


TEXTS = ("", "理发 陪伴老人", "法律咨询", "上门理发", "助老送餐 理发", "心理疏导")


INTERESTS = (frozenset(), frozenset({"elderly_care"}), frozenset({"sanitation", "elderly_care"}), frozenset({"health"}))
CATEGORIES = ("elderly_care", "sanitation", "education", "health")
# Grids 1 and 2 in community 1, grid 3 in community 2.
COMMUNITY_GRIDS = [
    replace(GRIDS[0], community_id=1),
    replace(GRIDS[1], community_id=1),
    replace(GRIDS[2], community_id=2),
]


def random_street(seed: int, signals: bool = True) -> tuple[VolunteerIndex, list[ShiftNeed]]:
    """Volunteers and shifts drawn so that every feature varies and many volunteers tie exactly; with
    ``signals``, interests, skill groups, community ties, rates and distance scales per category too."""
    rng = random.Random(seed)
    people: list[Volunteer] = []
    for i in rng.sample(range(1, 2000), 250):  # ids not in storage order
        people.append(
            volunteer(
                i,
                interests=rng.choice(INTERESTS) if signals else frozenset(),
                community_work=rng.choice([{}, {1: 2}, {2: 5, 1: 1}, {3: 4}]) if signals else {},
                reliability_rate=rng.choice([None, 0.3, 0.9]) if signals else None,
                home_grid_id=rng.choice([1, 2, 3]),
                skill_ids=frozenset(rng.sample(range(1, 7), rng.randint(0, 3))),
                availability=tuple(
                    WeeklyWindow(day, start, start + rng.choice([60, 90, 180, 240]))
                    for day in rng.sample(range(7), rng.randint(0, 3))
                    for start in [rng.choice([450, 480, 540, 780])]
                ),
                weekly_hour_cap=rng.choice([0, 2, 4, 8]),
                hours_this_week=rng.choice([0, 1, 3]),
                fulfilled=rng.choice([0, 0, 3]),
                no_show=rng.choice([0, 1]),
                text=rng.choice(TEXTS),
            )
        )
    free = tuple(WeeklyWindow(day, 0, 1440) for day in range(7))
    twin = volunteer(3000, availability=free, skill_ids=frozenset({1, 2}), weekly_hour_cap=8, text=TEXTS[1])
    people += [replace(twin, id=3000 + i * 7 % 12) for i in range(12)]  # exact twins: ties at every place
    space = TextSpace([p.text for p in people])
    monday_8 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    shifts = [
        shift(
            id=i,
            starts_at=(start := monday_8 + timedelta(days=rng.randint(0, 6), minutes=rng.choice([0, 30, 60, 330]))),
            ends_at=start + timedelta(minutes=rng.choice([60, 90, 120, 150])),
            grid_id=rng.choice([1, 2, 3]),
            skill_ids=frozenset(rng.sample([1, 2, 3, 4, 5, 6, 40], rng.randint(0, 3))),  # 40: nobody has it
            text=rng.choice(TEXTS),
            category=rng.choice(CATEGORIES) if signals else "elderly_care",
        )
        for i in range(60)
    ]
    if not signals:
        return VolunteerIndex(people, GRIDS, space), shifts
    groups = {1: "care", 2: "care", 3: "repair", 4: "repair", 5: "talk", 40: "talk"}  # 6 in no group
    scales = {"elderly_care": 1.0, "sanitation": 5.0}  # the others: 2 km
    return VolunteerIndex(people, COMMUNITY_GRIDS, space, skill_groups=groups, proximity_km=scales), shifts


@pytest.mark.parametrize("signals", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_rank_many_gives_every_shift_exactly_its_rank_list(seed: int, signals: bool) -> None:
    index, shifts = random_street(seed, signals)
    everyone = [[r.score for r in index.rank(s, k=400)] for s in shifts]
    assert any(len(scores) > 5 and scores[4] == scores[5] for scores in everyone)  # ties at the cut to settle
    for k in (1, 5, 12, 400):
        expected = [index.rank(s, k=k) for s in shifts]
        assert sum(len(found) for found in expected) > 0
        # Equal Ranked records: the same candidates in the same order, the same scores to the last bit,
        # the same reasons (sentences, values and contributions); small blocks exercise the chunking.
        assert index.rank_many(shifts, k=k) == expected
        assert index.rank_many(shifts, k=k, chunk_pairs=50) == expected
    weights = {"skill_coverage": 0.1, "availability": 0.1, "proximity": 0.5, "reliability": 0.1, "capacity": 0.1}
    assert index.rank_many(shifts, k=7, weights=weights) == [index.rank(s, k=7, weights=weights) for s in shifts]
    if signals:  # every new column varies, and each alone orders the lists the same way in both
        pairs = [index.pair_features(s, s.starts_at) for s in shifts]
        for name in ("interest", "skill_related", "lives_in_community", "community_familiarity"):
            assert len({value for p in pairs for value in p.column(name).tolist()}) > 1, name
            alone = {name: 0.6, "reliability": 0.4}
            assert index.rank_many(shifts, k=5, weights=alone) == [index.rank(s, k=5, weights=alone) for s in shifts]


def test_pair_features_hold_exactly_the_columns_rank_scores() -> None:
    index, shifts = random_street(2)
    for need in shifts[:20]:
        pairs = index.pair_features(need, need.starts_at)
        score = {
            int(c): sum(DEFAULT_WEIGHTS[n] * pairs.column(n)[i] for n in DEFAULT_WEIGHTS)
            for i, c in enumerate(pairs.candidate_ids)
        }
        for ranked in index.rank(need, k=20):
            assert ranked.score == pytest.approx(score[ranked.candidate_id], abs=1e-12)


def test_ties_at_the_cut_keep_the_smallest_ids_whatever_the_storage_order() -> None:
    twins = [volunteer(i) for i in (17, 4, 23, 9, 11, 2, 30)]
    index = VolunteerIndex(twins, GRIDS)
    assert [r.candidate_id for r in index.rank(shift(), k=3)] == [2, 4, 9]
    lists = index.rank_many([shift(), shift(id=2)], k=3)
    assert [[r.candidate_id for r in found] for found in lists] == [[2, 4, 9]] * 2


def test_rank_many_reports_the_shifts_done() -> None:
    index, shifts = random_street(1)
    done: list[int] = []
    index.rank_many(shifts, k=3, ranked=done.append, chunk_pairs=100)
    assert done == sorted(done) and done[-1] == len(shifts)
    assert index.rank_many([], k=3) == []


def test_a_shift_is_judged_by_the_hours_its_volunteers_hold_in_its_own_week() -> None:
    """Fully booked next week (Mon 2026-11-30) but free this week: kept for this Saturday, not for next."""
    from matching.availability import street_week

    next_saturday = tuple(moment + timedelta(days=7) for moment in SATURDAY_MORNING)
    this_week, next_week = street_week(SATURDAY_MORNING[0]), street_week(next_saturday[0])
    assert (this_week.isoformat(), next_week.isoformat()) == ("2026-11-23", "2026-11-30")
    booked = volunteer(1, weekly_hour_cap=4, hours_by_week={next_week: 4.0})
    half = volunteer(2, weekly_hour_cap=4, hours_by_week={this_week: 2.0})
    index = VolunteerIndex([booked, half], GRIDS)
    assert {r.candidate_id for r in index.rank(shift(), k=5)} == {1, 2}
    later = shift(id=2, starts_at=next_saturday[0], ends_at=next_saturday[1])
    assert [r.candidate_id for r in index.rank(later, k=5)] == [2]
    # The load feature reads the same week; the batched ranking agrees with one shift at a time.
    now = SATURDAY_MORNING[0] - timedelta(days=1)
    pairs = index.pair_features(shift(), now)
    load = dict(zip(pairs.candidate_ids.tolist(), pairs.column("load").tolist(), strict=True))
    assert load == {1: 0.0, 2: 0.5}
    assert [[r.candidate_id for r in ranked] for ranked in index.rank_many([shift(), later], k=5)] == [
        [r.candidate_id for r in index.rank(shift(), k=5)],
        [2],
    ]
    # Records without weeks keep the old rule: this week's hours for every shift.
    plain = VolunteerIndex([volunteer(1, weekly_hour_cap=4, hours_this_week=4.0)], GRIDS)
    assert plain.rank(shift(starts_at=next_saturday[0], ends_at=next_saturday[1]), k=5) == []
