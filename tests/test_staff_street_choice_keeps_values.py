"""A city admin recording a need chooses its street inside the form, and keeps what was typed.

The staff form /needs/new was the last form whose street was a separate GET form: choosing a street after typing
a resident's report threw the typing away. Now, for a city admin (the one who records needs in any street), the
street is a field of the form itself like on the public forms: "Show this street's grids" sends the form back with
every value kept (lines included) and that street's grids, nothing saved; saving without a street, or with a grid
of another street, is refused on that field. Street admins and staff have no street field: their grids are their
own.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.needs.models import Need, ResourceLine
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login, post_form, reading
from tests.street_fixtures import TwoStreets, build_two_streets
from tests.test_street_choice_keeps_values import CHOOSE, _street_grids, form_state

TITLE = "独居老人家中漏水 <急>"
TYPED = {
    "title": TITLE,
    "description": "5号楼3单元，\n厨房水管破裂。",
    "category": "elderly_care",
    "channel": "hotline_12345",
    "urgency": "high",
    "beneficiary_name": "孙桂兰",
    "beneficiary_phone": "13600002222",
    "beneficiary_address": "湖岛路5号楼3单元",
    "line-0-kind": "material",
    "line-0-category": "renovation",
    "line-0-description": "水管接头",
    "line-0-quantity": "2",
    "line-0-unit": "个",
}


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    return build_two_streets(session, session_factory, settings)


@pytest.fixture
def city_admin(client: TestClient[Any], world: TwoStreets) -> TestClient[Any]:
    assert login(client, world.city_admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", "en")
    return client


def _needs_titled(session: Session, title: str) -> list[Need]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Need).where(Need.title == title)).scalars())


def _grid_of(session: Session, world: TwoStreets, key: str) -> str:
    return min(_street_grids(session, world, key), key=int)


def test_the_form_asks_for_the_street_inside_it(city_admin: TestClient[Any]) -> None:
    page = city_admin.get("/needs/new")
    assert page.status_code == 200
    state = form_state(page.text, "/needs/new")
    assert state.options["street"][0] == "" and "Choose a street" in page.text
    assert "grid_id" not in state.options  # no grid to choose before a street is
    assert "Choose the need's street above, then its grid." in page.text
    assert 'class="street-picker"' not in page.text  # no separate GET form any more


def test_choosing_a_street_keeps_every_typed_value_and_saves_nothing(
    city_admin: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    answer = post_form(city_admin, settings, "/needs/new", TYPED | CHOOSE | {"street": world.b.street.code})
    assert answer.status_code == 200, answer.text[-2000:]
    state = form_state(answer.text, "/needs/new")
    for name, typed in TYPED.items():
        assert state.values.get(name) == [typed], name
    assert state.values["street"] == [world.b.street.code]
    assert set(state.options["grid_id"]) - {""} == _street_grids(session, world, "B")
    assert not _needs_titled(session, TITLE)
    # What the browser sends next, with a grid of B chosen, records the need there with its line.
    sent = {name: values[0] for name, values in state.values.items() if values and name != "csrf_token"}
    saved = post_form(city_admin, settings, "/needs/new", sent | {"grid_id": _grid_of(session, world, "B")})
    assert saved.status_code == 303, saved.text[-2000:]
    [need] = _needs_titled(session, TITLE)
    assert str(need.grid_id) == _grid_of(session, world, "B") and need.beneficiary_phone == "13600002222"
    with reading(session) as fresh:
        lines = list(fresh.execute(sa.select(ResourceLine).where(ResourceLine.need_id == need.id)).scalars())
    assert [(line.description, line.quantity, line.unit) for line in lines] == [("水管接头", 2, "个")]


def test_an_unknown_street_is_refused_on_its_field_with_the_typing_kept(
    city_admin: TestClient[Any], session: Session, settings: Settings
) -> None:
    answer = post_form(city_admin, settings, "/needs/new", TYPED | CHOOSE | {"street": "no-such-street"})
    assert answer.status_code == 400
    assert "Choose one of the offered streets." in answer.text
    assert form_state(answer.text, "/needs/new").values["title"] == [TITLE]
    assert not _needs_titled(session, TITLE)


def test_saving_without_a_street_is_refused_on_the_street(
    city_admin: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    answer = post_form(city_admin, settings, "/needs/new", TYPED | {"grid_id": _grid_of(session, world, "A")})
    assert answer.status_code == 400
    assert "Choose a street." in answer.text
    assert form_state(answer.text, "/needs/new").values["beneficiary_name"] == ["孙桂兰"]
    assert not _needs_titled(session, TITLE)


def test_a_grid_of_another_street_is_refused_on_the_grid(
    city_admin: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    sent = TYPED | {"street": world.b.street.code, "grid_id": _grid_of(session, world, "A")}
    answer = post_form(city_admin, settings, "/needs/new", sent)
    assert answer.status_code == 400
    assert "Choose a grid of the street chosen above." in answer.text
    assert not _needs_titled(session, TITLE)


def test_a_street_admin_has_no_street_field_and_saves_in_their_own_grids(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    assert login(client, world.b.admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    page = client.get("/needs/new")
    state = form_state(page.text, "/needs/new")
    assert "street" not in state.options and "street" not in state.values
    assert set(state.options["grid_id"]) - {""} == _street_grids(session, world, "B")
    saved = post_form(client, settings, "/needs/new", TYPED | {"grid_id": _grid_of(session, world, "B")})
    assert saved.status_code == 303, saved.text[-2000:]
    assert len(_needs_titled(session, TITLE)) == 1
