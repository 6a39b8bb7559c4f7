"""Offers for a resource line: kind, stock and validity filter; coverage, category and area rank; reasons explain."""

import random
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from matching import GridPoint, LineNeed, Offer, OfferIndex, TextSpace

GRIDS = [GridPoint(1, 36.1100, 120.3500), GridPoint(2, 36.1100, 120.3722), GridPoint(3, 36.2000, 120.3500)]
NOW = datetime(2026, 11, 26, tzinfo=UTC)
BRICKS = LineNeed(
    id=1,
    need_id=1,
    text="透水砖",
    kind="material",
    category="renovation",
    grid_id=1,
    still_needed=5000,
    unit="m²",
    due_date=date(2026, 12, 27),
)


def offer(id: int, **changes: object) -> Offer:
    values: dict[str, object] = {
        "id": id,
        "organization_id": id,
        "text": "再生透水砖",
        "kind": "material",
        "category": "renovation",
        "remaining": 3200,
        "unit": "m²",
        "grid_ids": frozenset({1}),
    }
    values.update(changes)
    return Offer(**values)  # type: ignore[arg-type]


def test_lvfan_bricks_cover_64_percent_and_say_so() -> None:
    [best] = OfferIndex([offer(1, fulfilled=4)], GRIDS).rank(BRICKS, NOW, k=1)
    english = [reason.en for reason in best.reasons]
    chinese = [reason.zh for reason in best.reasons]
    assert "covers 64% of the 5,000 m² still needed" in english
    assert "可满足尚缺5,000 m²中的64%" in chinese
    assert "same category as the need" in english


def test_wrong_kind_nothing_left_or_expired_offers_are_never_candidates() -> None:
    offers = [
        offer(1, kind="funds"),
        offer(2, remaining=0),
        offer(3, valid_until=datetime(2026, 11, 1, tzinfo=UTC)),
        offer(4),
    ]
    assert [r.candidate_id for r in OfferIndex(offers, GRIDS).rank(BRICKS, NOW)] == [4]


def test_each_factor_moves_an_offer_down_when_it_is_worse() -> None:
    offers = [
        offer(1, remaining=500),  # covers less
        offer(2),  # 3,200 in the grid, right category: best on every factor
        offer(3, grid_ids=frozenset({3})),  # serves a grid 10 km away
        offer(4, category="sanitation"),  # another category: m² of something else, never a candidate
    ]
    ranked = OfferIndex(offers, GRIDS).rank(BRICKS, NOW)
    score = {r.candidate_id: r.score for r in ranked}
    assert ranked[0].candidate_id == 2
    assert score[2] > score[1] and score[2] > score[3] and 4 not in score
    # Hours of a room serve whatever the room is for: there the category only ranks.
    hours = replace(BRICKS, kind="venue", unit="小时", still_needed=10)
    rooms = [offer(5, kind="venue", unit="小时", remaining=10), offer(6, kind="venue", unit="h", category="sanitation")]
    score = {r.candidate_id: r.score for r in OfferIndex(rooms, GRIDS).rank(hours, NOW)}
    assert score[5] > score[6]


def test_an_offer_serving_only_a_distant_grid_scores_by_distance() -> None:
    near = offer(1, grid_ids=frozenset({2}))  # 2 km away
    far = offer(2, grid_ids=frozenset({3}))  # 10 km away
    index = OfferIndex([near, far], GRIDS)
    assert index._nearest_area_km(1, index.ids.argsort()).round(1).tolist() == [2.0, 10.0]
    assert [r.candidate_id for r in index.rank(BRICKS, NOW)] == [1, 2]


KEYS = ("", "led_street_lamp", "permeable_brick")
COMMUNITY_GRIDS = [
    replace(GRIDS[0], community_id=1),
    replace(GRIDS[1], community_id=1),
    replace(GRIDS[2], community_id=2),
]


def random_offers(seed: int, signals: bool = True) -> tuple[OfferIndex, list[LineNeed]]:
    """Offers and lines drawn so that every feature and pre-filter varies and many offers tie exactly; with
    ``signals``, item keys, start dates, community work, rates and distance scales per category or kind too."""
    rng = random.Random(seed)
    words = ("透水砖", "再生透水砖", "路灯", "助老送餐", "法律咨询", "")
    starts = (None, datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 30, 16, tzinfo=UTC))
    offers = [
        offer(
            i,
            item_key=rng.choice(KEYS) if signals else "",
            available_from=rng.choice(starts) if signals else None,
            community_work=rng.choice([{}, {1: 2}, {2: 5, 1: 1}]) if signals else {},
            reliability_rate=rng.choice([None, 0.3, 0.9]) if signals else None,
            text=rng.choice(words),
            kind=rng.choice(["material", "material", "service"]),
            category=rng.choice(["renovation", "environment"]),
            remaining=rng.choice([0, 5, 500, 3200, 9000]),
            unit=rng.choice(["m²", "m2", "平方米", "件", "个", "盏"]),
            item=rng.choice(["路灯", "太阳能路灯", "透水砖", ""]),
            grid_ids=frozenset(rng.sample([1, 2, 3], rng.randint(0, 2))),
            valid_until=rng.choice([None, datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 10, tzinfo=UTC)]),
            fulfilled=rng.choice([0, 2]),
            no_show=rng.choice([0, 1]),
            open_matches=rng.choice([0, 1]),
        )
        for i in rng.sample(range(1, 1000), 150)  # ids not in storage order
    ]
    offers += [offer(2000 + i * 5 % 9) for i in range(9)]  # exact twins: ties at every place
    offers += [offer(2200 + i * 5 % 9, unit="箱") for i in range(9)]  # twins alone in their unit: ties at the cut
    offers += [offer(2100 + i, kind="", remaining=10 * i) for i in range(3)]  # a kind that is no kind is one too
    lines = [
        replace(
            BRICKS,
            id=i,
            text=rng.choice(words),
            kind=rng.choice(["material", "service", "venue"]),
            category=rng.choice(["renovation", "environment"]),
            grid_id=rng.choice([1, 2, 3]),
            still_needed=rng.choice([0, 10, 500, 5000]),
            unit=rng.choice(["m²", "件", "个", "盏"]),
            item=rng.choice(["路灯", "充电桩", ""]),
            due_date=rng.choice([None, date(2026, 11, 29), date(2026, 12, 1), date(2026, 12, 27)]),
            item_key=rng.choice(KEYS) if signals else "",
        )
        for i in range(50)
    ]
    lines += [replace(BRICKS, id=100, kind=""), replace(BRICKS, id=101, kind="", still_needed=0)]
    lines += [replace(BRICKS, id=102, unit="箱")]
    space = TextSpace([o.text for o in offers])
    if not signals:
        return OfferIndex(offers, GRIDS, space), lines
    scales = {"environment": 1.0, "service": 6.0}  # by category first, then kind; the others 3 km
    return OfferIndex(offers, COMMUNITY_GRIDS, space, area_km=scales), lines


@pytest.mark.parametrize("signals", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_rank_many_gives_every_line_exactly_its_rank_list(seed: int, signals: bool) -> None:
    index, lines = random_offers(seed, signals)
    everyone = [[r.score for r in index.rank(line, NOW, k=400)] for line in lines]
    assert any(len(scores) > 3 and scores[2] == scores[3] for scores in everyone)  # ties at the cut to settle
    for k in (1, 3, 10, 400):
        expected = [index.rank(line, NOW, k=k) for line in lines]
        assert sum(len(found) for found in expected) > 0
        # The same offers, scores to the last bit and reasons; small blocks exercise the chunking.
        assert index.rank_many(lines, NOW, k=k) == expected
        assert index.rank_many(lines, NOW, k=k, chunk_pairs=30) == expected
    weights = {"coverage": 0.5, "area": 0.3, "validity": 0.2}
    expected = [index.rank(line, NOW, k=4, weights=weights) for line in lines]
    assert index.rank_many(lines, NOW, k=4, weights=weights) == expected
    if signals:  # every new column varies, and each alone orders the lists the same way in both
        pairs = [index.pair_features(line, NOW) for line in lines]
        for name in ("item", "community_familiarity", "validity", "reliability"):
            assert len({value for p in pairs for value in p.column(name).tolist()}) > 2, name
            alone = {name: 0.7, "coverage": 0.3}
            expected = [index.rank(line, NOW, k=5, weights=alone) for line in lines]
            assert index.rank_many(lines, NOW, k=5, weights=alone) == expected


def test_offer_ties_at_the_cut_keep_the_smallest_ids() -> None:
    index = OfferIndex([offer(i) for i in (8, 3, 12, 5, 1)], GRIDS)
    assert [r.candidate_id for r in index.rank(BRICKS, NOW, k=2)] == [1, 3]
    assert [[r.candidate_id for r in found] for found in index.rank_many([BRICKS], NOW, k=2)] == [[1, 3]]
