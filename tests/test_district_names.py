"""English pages name a city's districts in English.

A city's street choices (the public forms' street field, the board's street picker) and the city admin's table
group streets by district: English pages showed "市北区" above "Badaguan Street". A street now carries its
district's English name (``district_en``); English pages use it and fall back to the Chinese where a street has
none; Chinese pages are unchanged. The migration fills in Qingdao's districts for streets already there.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.migrate import upgrade
from marketplace.places.models import Street
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login
from tests.street_fixtures import TwoStreets, build_two_streets
from tests.test_migrations import fresh_database_url  # noqa: F401 (fixture)

BEFORE = "9c0d1e2f3a4b"  # the revision before district_en


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    built = build_two_streets(session, session_factory, settings)
    # A in Shibei with its English name; B in Shinan with none (a deployment that has not set one).
    session.execute(sa.update(Street).where(Street.id == built.a.street.id).values(district_en="Shibei District"))
    session.execute(sa.update(Street).where(Street.id == built.b.street.id).values(district="市南区", district_en=""))
    session.commit()
    return built


def _page(client: TestClient[Any], path: str, locale: str) -> str:
    client.cookies.set("lang", locale)
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[-2000:]
    return answer.text


@pytest.mark.parametrize("path", ["/register/volunteer", "/submit", "/"])
def test_street_choices_are_grouped_under_the_districts_english_name(
    client: TestClient[Any], world: TwoStreets, path: str
) -> None:
    english = _page(client, path, "en")
    assert '<optgroup label="Shibei District">' in english
    assert '<optgroup label="市南区">' in english  # no English name: the Chinese one, not an empty label
    assert '<optgroup label="市北区">' not in english
    chinese = _page(client, path, "zh_CN")
    assert '<optgroup label="市北区">' in chinese and "Shibei District" not in chinese


def test_the_city_table_names_districts_in_the_page_language(client: TestClient[Any], world: TwoStreets) -> None:
    assert login(client, world.city_admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    english = _page(client, "/admin/city", "en")
    assert 'colspan="12">Shibei District</th>' in english and 'colspan="12">市南区</th>' in english
    chinese = _page(client, "/admin/city", "zh_CN")
    assert 'colspan="12">市北区</th>' in chinese


def test_the_migration_names_qingdaos_districts_already_there(fresh_database_url: str) -> None:  # noqa: F811
    upgrade(fresh_database_url, BEFORE)
    engine = sa.create_engine(fresh_database_url)
    try:
        with engine.begin() as connection:
            rows = [
                ("q-shibei", "青岛市", "市北区"),
                ("q-laixi", "青岛市", "莱西市"),
                ("elsewhere", "烟台市", "市北区"),  # another city's 市北区 is not Qingdao's
            ]
            for code, city, district in rows:
                connection.execute(
                    sa.text(
                        "INSERT INTO street (code, name, name_en, district, city) "
                        "VALUES (:code, '某街道', 'Some Street', :district, :city)"
                    ),
                    {"code": code, "district": district, "city": city},
                )
        upgrade(fresh_database_url)
        with engine.connect() as connection:
            named = {
                code: english for code, english in connection.execute(sa.text("SELECT code, district_en FROM street"))
            }
        assert named == {"q-shibei": "Shibei District", "q-laixi": "Laixi City", "elsewhere": ""}
    finally:
        engine.dispose()
