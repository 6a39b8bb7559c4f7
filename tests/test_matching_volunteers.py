"""The matching library ranks volunteers for a shift, explains why, and stays independent of the app."""

import random
import subprocess
import sys
from datetime import UTC, datetime

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
