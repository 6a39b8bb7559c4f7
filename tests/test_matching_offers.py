"""Offers for a resource line: kind, stock and validity filter; coverage, category and area rank; reasons explain."""

from datetime import UTC, date, datetime

from matching import GridPoint, LineNeed, Offer, OfferIndex

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
        offer(4, category="sanitation"),  # another category
    ]
    ranked = OfferIndex(offers, GRIDS).rank(BRICKS, NOW)
    score = {r.candidate_id: r.score for r in ranked}
    assert ranked[0].candidate_id == 2
    assert score[2] > score[1] and score[2] > score[3] and score[2] > score[4]


def test_an_offer_serving_only_a_distant_grid_scores_by_distance() -> None:
    near = offer(1, grid_ids=frozenset({2}))  # 2 km away
    far = offer(2, grid_ids=frozenset({3}))  # 10 km away
    index = OfferIndex([near, far], GRIDS)
    assert index._nearest_area_km(1, index.ids.argsort()).round(1).tolist() == [2.0, 10.0]
    assert [r.candidate_id for r in index.rank(BRICKS, NOW)] == [1, 2]
