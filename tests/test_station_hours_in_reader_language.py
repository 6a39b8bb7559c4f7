"""A grid service station's opening hours read in the page's language.

Found walking the demo in English: a volunteer's shift and a partner's claim said "Ask at Hudao Community Grid 2
Service Station, ... (open 每日 8:00-20:00)" and a project page "Open: 周一至周五 8:30-17:30": the street writes
the hours in Chinese, and English pages showed them so. Chinese pages keep them as written; hours with words
beyond the days are shown as written, never half translated.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace import i18n
from marketplace.opening_hours import opening_hours
from tests.factories import StreetScenario, build_street


@pytest.fixture
def street(session_factory: sessionmaker[Session]) -> StreetScenario:
    with session_factory() as session:
        return build_street(session)


def test_a_project_page_gives_the_station_hours_in_the_readers_language(
    client: TestClient[Any], street: StreetScenario
) -> None:
    bricks = street.needs["bricks"]
    client.cookies.set("lang", "en")
    english = client.get(f"/projects/{bricks.id}").text
    assert "Open: Mon–Fri 8:30–17:30" in english
    assert "周一至周五" not in english
    client.cookies.set("lang", "zh_CN")
    assert "周一至周五 8:30–17:30" in client.get(f"/projects/{bricks.id}").text


@pytest.mark.parametrize(
    ("written", "english"),
    [
        ("每日 8:00-20:00", "Daily 8:00-20:00"),
        ("周一至周六 8:30-17:30", "Mon–Sat 8:30-17:30"),
        ("周一至周五 8:30-17:30，周六 9:00-12:00", "Mon–Fri 8:30-17:30, Sat 9:00-12:00"),
        ("工作日 9:00-17:00", "Weekdays 9:00-17:00"),
        ("Mon-Fri 9-5", "Mon-Fri 9-5"),
        ("每日 8:00-20:00（午休除外）", "每日 8:00-20:00（午休除外）"),  # other words: as written, not half English
        ("", ""),
    ],
)
def test_the_day_words_are_english_on_an_english_page(written: str, english: str) -> None:
    token = i18n.current_locale.set("en")
    try:
        assert opening_hours(written) == english
    finally:
        i18n.current_locale.reset(token)
    token = i18n.current_locale.set("zh_CN")
    try:
        assert opening_hours(written) == written
    finally:
        i18n.current_locale.reset(token)
