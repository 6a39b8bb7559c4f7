"""The signals real streets have: interests, related skills, community ties, item keys, offer start dates,
reliability as a rate, distance scales per category; and due dates read as street days."""

import math
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from matching import GridPoint, LineNeed, Offer, OfferIndex, Ranked, ShiftNeed, Volunteer, VolunteerIndex, WeeklyWindow

GRIDS = [GridPoint(1, 36.1100, 120.3500, 1), GridPoint(2, 36.1100, 120.3722, 1), GridPoint(3, 36.2000, 120.3500, 2)]
NOW = datetime(2026, 11, 26, tzinfo=UTC)
# Saturday 2026-11-28, 09:00–11:00 in Qingdao (UTC+8).
SATURDAY_MORNING = (datetime(2026, 11, 28, 1, 0, tzinfo=UTC), datetime(2026, 11, 28, 3, 0, tzinfo=UTC))
SATURDAY_8_TO_12 = (WeeklyWindow(5, 8 * 60, 12 * 60),)
LAMPS = LineNeed(
    id=1,
    need_id=1,
    text="LED路灯",
    kind="material",
    category="renovation",
    grid_id=1,
    still_needed=40,
    unit="盏",
    due_date=date(2026, 12, 27),
)


def offer(id: int, **changes: object) -> Offer:
    values: dict[str, object] = {
        "id": id,
        "organization_id": id,
        "text": "LED路灯",
        "kind": "material",
        "category": "renovation",
        "remaining": 40,
        "unit": "盏",
        "grid_ids": frozenset({1}),
    }
    values.update(changes)
    return Offer(**values)  # type: ignore[arg-type]


def test_an_offer_valid_through_the_due_street_day_covers_it_all() -> None:
    # Valid through 27 Dec in Qingdao: the app stores the instant that day ends, 28 Dec 00:00 +08:00.
    through_due_day = offer(1, valid_until=datetime(2026, 12, 27, 16, tzinfo=UTC))
    index = OfferIndex([through_due_day], GRIDS)
    for now in (datetime(2026, 11, 26, tzinfo=UTC), datetime(2026, 12, 27, 1, tzinfo=UTC)):
        assert index.features(LAMPS, now).values["validity"].tolist() == [1.0]
        [best] = index.rank(LAMPS, now, weights={"validity": 1.0})
        assert "valid until the due date" in [reason.en for reason in best.reasons]
    # One street day short covers less than all of the time to the due date.
    a_day_short = offer(2, valid_until=datetime(2026, 12, 26, 16, tzinfo=UTC))
    assert (
        OfferIndex([a_day_short], GRIDS)
        .features(LAMPS, datetime(2026, 12, 20, tzinfo=UTC))
        .values["validity"]
        .tolist()[0]
        < 0.9
    )


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
        "skill_ids": frozenset({1, 2}),
    }
    values.update(changes)
    return ShiftNeed(**values)  # type: ignore[arg-type]


def volunteer(id: int, **changes: object) -> Volunteer:
    values: dict[str, object] = {"id": id, "home_grid_id": 1, "availability": SATURDAY_8_TO_12}
    values.update(changes)
    return Volunteer(**values)  # type: ignore[arg-type]


def ranked_volunteers(people: list[Volunteer], need: ShiftNeed, **index_args: object) -> dict[int, Ranked]:
    index = VolunteerIndex(people, GRIDS, **index_args)  # type: ignore[arg-type]
    return {r.candidate_id: r for r in index.rank(need, k=len(people))}


def english(ranked: Ranked) -> list[str]:
    return [reason.en for reason in ranked.reasons]


def chinese(ranked: Ranked) -> list[str]:
    return [reason.zh for reason in ranked.reasons]


def test_a_volunteer_who_wants_this_work_ranks_above_one_who_wants_other_work() -> None:
    people = [
        volunteer(1, interests=frozenset({"elderly_care"})),
        volunteer(2),  # declared nothing: neither for nor against
        volunteer(3, interests=frozenset({"sanitation"})),
    ]
    ranked = ranked_volunteers(people, shift())
    assert ranked[1].score > ranked[2].score > ranked[3].score
    assert "wants to do this kind of work" in english(ranked[1])
    assert "愿意从事此类工作" in chinese(ranked[1])
    assert "wants to do this kind of work" not in english(ranked[2]) + english(ranked[3])


def test_a_related_skill_earns_part_of_a_held_one() -> None:
    groups = {1: "care", 2: "care", 3: "care", 4: "repair"}
    people = [
        volunteer(1, skill_ids=frozenset({1})),  # holds one of the two required skills
        volunteer(2, skill_ids=frozenset({3})),  # holds neither, but a care skill: both related
        volunteer(3, skill_ids=frozenset({4})),  # holds only a repair skill
        volunteer(4, skill_ids=frozenset({1, 2})),  # holds both
    ]
    ranked = ranked_volunteers(people, shift(), skill_groups=groups)
    assert ranked[4].score > ranked[1].score > ranked[2].score > ranked[3].score  # related: part of a held one
    index = VolunteerIndex(people, GRIDS, skill_groups=groups)
    features = index.features(shift())
    related = dict(zip(index.ids[features.rows].tolist(), features.values["skill_related"].tolist(), strict=True))
    assert related == {1: 0.5, 2: 1.0, 3: 0.0, 4: 0.0}  # a held skill is not also related
    assert "has a related skill for 2 of the 2 required skills" in english(ranked[2])
    assert "所需2项技能中有2项具备相近技能" in chinese(ranked[2])
    # Without the taxonomy's groups nothing is related.
    assert VolunteerIndex(people, GRIDS).features(shift()).values["skill_related"].tolist() == [0.0] * 4


def test_living_in_and_having_worked_in_the_community_count() -> None:
    # Grids 1 and 2 are community 1, grid 3 community 2; the shift is in grid 1.
    people = [
        volunteer(1, home_grid_id=2),  # lives in the community, 2 km away
        volunteer(2, home_grid_id=2, community_work={1: 3, 2: 8}),  # and has worked there three times
        volunteer(3, home_grid_id=2, community_work={2: 8}),  # has worked elsewhere only
    ]
    ranked = ranked_volunteers(people, shift(skill_ids=frozenset()))
    assert ranked[2].score > ranked[1].score == ranked[3].score
    [worked] = VolunteerIndex(people[1:2], GRIDS).rank(shift(), weights={"community_familiarity": 1.0})
    assert "completed 3 tasks in this community before" in english(worked)
    assert "曾在本社区完成3次任务" in chinese(worked)
    near_elsewhere = [volunteer(4, home_grid_id=2), volunteer(5, home_grid_id=2)]
    grids = [GRIDS[0], GridPoint(2, 36.1100, 120.3722, 9), GRIDS[2]]  # grid 2 in another community now
    inside = VolunteerIndex(near_elsewhere[:1], GRIDS).rank(shift(skill_ids=frozenset()))[0]
    outside = VolunteerIndex(near_elsewhere[1:], grids).rank(shift(skill_ids=frozenset()))[0]
    assert inside.score > outside.score
    assert "lives in the need's community" in english(inside) and "住在本社区" in chinese(inside)
    assert "lives in the need's community" not in english(outside)


def test_a_record_given_as_a_rate_counts_when_there_are_no_counts() -> None:
    people = [
        volunteer(1, reliability_rate=0.92),
        volunteer(2),  # a newcomer: 0.5
        volunteer(3, reliability_rate=0.2),
        volunteer(4, reliability_rate=1.7),  # clipped to 1
        volunteer(5, reliability_rate=0.92, fulfilled=1, no_show=3),  # counts win over a rate
    ]
    index = VolunteerIndex(people, GRIDS)
    features = index.features(shift(skill_ids=frozenset()))
    record = dict(zip(index.ids[features.rows].tolist(), features.values["reliability"].tolist(), strict=True))
    assert record == {1: 0.92, 2: 0.5, 3: 0.2, 4: 1.0, 5: 2 / 6}
    ranked = ranked_volunteers(people, shift(skill_ids=frozenset()), proximity_km={"elderly_care": 1.0})
    assert ranked[1].score > ranked[2].score > ranked[3].score
    [rate] = [r for r in VolunteerIndex(people[:1], GRIDS).rank(shift(), weights={"reliability": 1.0})]
    assert "completes 92% of tasks" in english(rate) and "以往任务完成率92%" in chinese(rate)


def test_distance_scales_per_category_change_proximity() -> None:
    two_km = [volunteer(1, home_grid_id=2)]
    need = shift(skill_ids=frozenset())
    default = VolunteerIndex(two_km, GRIDS).features(need).values["proximity"][0]
    wider = VolunteerIndex(two_km, GRIDS, proximity_km={"elderly_care": 8.0}).features(need).values["proximity"][0]
    other = VolunteerIndex(two_km, GRIDS, proximity_km={"sanitation": 8.0}).features(need).values["proximity"][0]
    assert default == pytest.approx(math.exp(-2.0 / 2.0), abs=0.01)
    assert wider == pytest.approx(math.exp(-2.0 / 8.0), abs=0.01) and other == default
    offers = [offer(1, grid_ids=frozenset({2}))]  # serves a grid 2 km away
    area = OfferIndex(offers, GRIDS).features(LAMPS, NOW).values["area"][0]
    by_kind = OfferIndex(offers, GRIDS, area_km={"material": 6.0}).features(LAMPS, NOW).values["area"][0]
    by_category = OfferIndex(offers, GRIDS, area_km={"material": 6.0, "renovation": 1.0})
    assert area == pytest.approx(math.exp(-2.0 / 3.0), abs=0.01)
    assert by_kind == pytest.approx(math.exp(-2.0 / 6.0), abs=0.01)
    assert by_category.features(LAMPS, NOW).values["area"][0] == pytest.approx(math.exp(-2.0 / 1.0), abs=0.01)


@pytest.mark.parametrize("bad", [0, -1.0, math.inf, math.nan, "2", True])
def test_a_distance_scale_that_is_not_a_positive_number_is_refused(bad: object) -> None:
    with pytest.raises(ValueError, match="proximity_km\\['elderly_care'\\]"):
        VolunteerIndex([volunteer(1)], GRIDS, proximity_km={"elderly_care": bad})  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="area_km\\['material'\\]"):
        OfferIndex([offer(1)], GRIDS, area_km={"renovation": 2.0, "material": bad})  # type: ignore[dict-item]


def test_the_same_item_key_ranks_first_and_says_so() -> None:
    need = replace(LAMPS, item_key="led_street_lamp")
    offers = [
        offer(1, item_key="led_street_lamp"),
        offer(2),  # item not recognised: neither for nor against
        offer(3, item_key="solar_street_lamp"),
    ]
    ranked = {r.candidate_id: r for r in OfferIndex(offers, GRIDS).rank(need, NOW)}
    assert ranked[1].score > ranked[2].score > ranked[3].score
    said = {r.candidate_id: r for r in OfferIndex(offers, GRIDS).rank(need, NOW, weights={"item": 1.0})}
    assert "the same item as the need" in english(said[1]) and "与所需物品相同" in chinese(said[1])
    assert "the same item as the need" not in english(said[2]) + english(said[3])
    unknown = OfferIndex(offers, GRIDS).features(LAMPS, NOW).values["item"].tolist()
    assert unknown == [0.5, 0.5, 0.5]


def test_an_organization_that_delivered_in_the_community_ranks_higher() -> None:
    offers = [offer(1, community_work={1: 4}), offer(2, community_work={2: 4}), offer(3, reliability_rate=0.9)]
    ranked = {r.candidate_id: r for r in OfferIndex(offers, GRIDS).rank(LAMPS, NOW)}
    assert ranked[1].score > ranked[2].score
    [worked] = OfferIndex(offers[:1], GRIDS).rank(LAMPS, NOW, weights={"community_familiarity": 1.0})
    assert "delivered 4 times in this community before" in english(worked)
    assert "曾在本社区兑现4次对接" in chinese(worked)
    assert ranked[3].score > ranked[2].score  # a 0.9 record beats a newcomer's 0.5
    [rate] = OfferIndex(offers[2:], GRIDS).rank(LAMPS, NOW, weights={"reliability": 1.0})
    assert "delivers 90% of matches" in english(rate) and "以往对接兑现率90%" in chinese(rate)


def test_an_offer_starting_later_covers_less_of_the_time_to_the_due_date() -> None:
    # Due 27 Dec (street day); the decision on 26 Nov at 08:00 in Qingdao.
    offers = [
        offer(1),  # available now, open-ended
        offer(2, available_from=datetime(2026, 12, 11, 16, tzinfo=UTC)),  # from 12 Dec in Qingdao
        offer(3, available_from=datetime(2026, 12, 28, 16, tzinfo=UTC)),  # from 29 Dec: after the due day
        offer(4, available_from=datetime(2026, 11, 1, tzinfo=UTC)),  # started before: as if available now
    ]
    index = OfferIndex(offers, GRIDS)
    validity = dict(zip(index.ids.tolist(), index.features(LAMPS, NOW).values["validity"].tolist(), strict=True))
    span = (datetime(2026, 12, 27, 16, tzinfo=UTC) - NOW).total_seconds()
    later = (datetime(2026, 12, 11, 16, tzinfo=UTC) - NOW).total_seconds()
    assert validity[1] == validity[4] == 1.0 and validity[3] == 0.0
    assert validity[2] == pytest.approx(1 - later / span)
    ranked = {r.candidate_id: r for r in index.rank(LAMPS, NOW)}
    assert ranked[1].score > ranked[2].score > ranked[3].score  # starting after the due date is ranked, last
    [starts] = OfferIndex(offers[1:2], GRIDS).rank(LAMPS, NOW, weights={"validity": 1.0})
    assert "available from 12 Dec" in english(starts) and "12月12日起可提供" in chinese(starts)
    # Without a due date, an offer that is not there yet is worth what a dated one is.
    undated = index.features(replace(LAMPS, due_date=None), NOW).values["validity"].tolist()
    assert undated == [1.0, 0.5, 0.5, 1.0]


def test_the_due_date_is_a_street_day_for_shifts_too() -> None:
    # Due 27 Dec: the day ends 27 Dec 16:00 UTC; the shift starts an hour later, on the 28th in Qingdao.
    need = shift(
        due_date=date(2026, 12, 27),
        starts_at=datetime(2026, 12, 27, 17, tzinfo=UTC),
        ends_at=datetime(2026, 12, 27, 19, tzinfo=UTC),
    )
    people = [volunteer(1, availability=tuple(WeeklyWindow(day, 0, 1440) for day in range(7)))]
    pairs = VolunteerIndex(people, GRIDS).pair_features(need, datetime(2026, 12, 27, 4, tzinfo=UTC))
    assert pairs.column("days_to_due").tolist() == [0.5]  # to the end of the due day, not to the start


def test_a_learned_model_explains_the_new_columns_with_the_same_sentences() -> None:
    people = [
        volunteer(
            1,
            home_grid_id=2,
            skill_ids=frozenset({3}),
            interests=frozenset({"elderly_care"}),
            community_work={1: 2},
            reliability_rate=0.8,
        )
    ]
    pairs = VolunteerIndex(people, GRIDS, skill_groups={1: "care", 3: "care"}).pair_features(shift(), NOW)
    weights = {"interest": 0.4, "skill_related": 0.3, "lives_in_community": 0.2, "community_familiarity": 0.1}
    said = {reason.feature: reason.en for reason in pairs.reasons(0, weights)}
    assert said["interest"] == "wants to do this kind of work"
    assert said["skill_related"] == "has a related skill for 1 of the 2 required skills"
    assert said["lives_in_community"] == "lives in the need's community"
    assert said["community_familiarity"] == "completed 2 tasks in this community before"
    assert said["reliability"] == "completes 80% of tasks"
    starts = datetime(2026, 12, 11, 16, tzinfo=UTC)
    later = offer(1, item_key="led_street_lamp", community_work={1: 1}, available_from=starts)
    rows = OfferIndex([later], GRIDS).pair_features(replace(LAMPS, item_key="led_street_lamp"), NOW)
    said = {reason.feature: reason.zh for reason in rows.reasons(0, {"item": 0.5, "days_to_expiry": 0.1})}
    assert said["item"] == "与所需物品相同"
    assert said["community_familiarity"] == "曾在本社区兑现1次对接"
    assert said["validity"] == "12月12日起可提供"  # days_to_expiry speaks through validity
