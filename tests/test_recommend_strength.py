"""Recommendation cards say how well a candidate fits in words (很合适 / 合适 / 可考虑), never the raw score;
the API still returns the scores its consumers rank by."""

import re
from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.i18n import current_locale
from marketplace.recommend import services
from marketplace.recommend.strength import BANDS, strength
from tests.security_helpers import sign_in_as
from tests.test_recommendations_api import _need_with_shift, _volunteer

RAW_SCORE = re.compile(r"(?<![\d.])[01]\.\d{2}(?![\d.])")


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    services.forget()
    yield
    services.forget()


@pytest.mark.parametrize(
    ("score", "key"),
    [(1.0, "strong"), (0.7, "strong"), (0.69, "good"), (0.45, "good"), (0.44, "possible"), (0.0, "possible")],
)
def test_each_score_falls_in_one_band(score: float, key: str) -> None:
    assert strength(score).key == key


def test_bands_run_from_strongest_to_weakest_and_cover_every_score() -> None:
    floors = [floor for floor, _key, _label in BANDS]
    assert floors == sorted(floors, reverse=True) and floors[-1] == 0.0
    assert strength(-0.1).key == "possible"


def test_labels_read_in_both_languages() -> None:
    token = current_locale.set("zh_CN")
    try:
        assert [strength(score).label for score in (0.9, 0.5, 0.1)] == ["很合适", "合适", "可考虑"]
    finally:
        current_locale.reset(token)
    token = current_locale.set("en")
    try:
        assert [strength(score).label for score in (0.9, 0.5, 0.1)] == ["Strong match", "Good match", "Possible match"]
    finally:
        current_locale.reset(token)


def test_the_page_shows_strength_and_reasons_and_the_api_keeps_the_score(
    client: TestClient[Any], session: Session
) -> None:
    need, skill, grid = _need_with_shift(session)
    _volunteer(session, grid, "王急救", [skill])
    _volunteer(session, grid, "李热心", [])
    sign_in_as(client, session, Role.ADMIN)
    body = client.get(f"/api/v1/needs/{need.id}/recommendations", params={"kind": "volunteers"}).json()
    scores = [candidate["score"] for candidate in body["parts"][0]["candidates"]]
    assert len(scores) == 2 and all(isinstance(score, float) for score in scores)

    page = client.get(f"/needs/{need.id}/recommendations?kind=volunteers")
    assert page.status_code == 200
    cards = page.text.split('class="recommend-item"')[1:]
    assert len(cards) == 2
    for card, score in zip(cards, scores, strict=True):
        assert f"recommend-strength-{strength(score).key}" in card
        assert not RAW_SCORE.search(card), "a raw score is shown"
    assert "可考虑" in page.text or "合适" in page.text
    assert "available for the whole shift" not in page.text  # zh_CN page: the reasons in Chinese
    client.cookies.set("lang", "en")
    english = client.get(f"/needs/{need.id}/recommendations?kind=volunteers").text
    assert "available for the whole shift" in english and "match</span>" in english
    assert "<meter" not in english
