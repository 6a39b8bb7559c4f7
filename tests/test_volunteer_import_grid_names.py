"""The volunteer import reads a grid's name in the importer's own street (marketplace/exchange/grid_names.py):
two streets of a city may both have a grid of that name. Another street's grid is not a street admin's to
fill, by name or by code; a name several grids bear in a city admin's file is refused, asking for the code."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.places.models import Grid
from marketplace.settings import Settings
from marketplace.volunteers.models import VolunteerProfile
from tests import factories
from tests.security_helpers import reading
from tests.security_world import use
from tests.street_fixtures import TwoStreets, build_two_streets

SAME = "同名网格"
ONLY_B = "仅B街道网格"
HEADER = "姓名,电话,网格,用户名\n"


def _world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    """Two streets; A's first grid and a grid of B (made later) share the name SAME; another grid of B is ONLY_B."""
    world = build_two_streets(session, session_factory, settings)
    grid_a = session.get(Grid, world.a.grids[0].id)
    assert grid_a is not None
    grid_a.name = SAME
    session.add(grid_a)
    world.b.grids.append(factories.make_grid(session, world.b.communities[0], 8, name=SAME, name_en="Same Grid"))
    world.b.grids.append(factories.make_grid(session, world.b.communities[0], 9, name=ONLY_B, name_en="Only B"))
    session.commit()
    return world


def _import(client: TestClient[Any], world: TwoStreets, role: str, grid: str, username: str) -> Any:
    identity = world.identities[role]
    use(client, identity)
    data = HEADER + f"李小丽,13912345678,{grid},{username}\n"
    return client.post("/volunteers/import", files={"file": ("register.csv", data.encode(), "text/csv")},
                       data={"csrf_token": identity.csrf}, headers=identity.headers())  # fmt: skip


def _home_grid(session: Session, username: str) -> int | None:
    with reading(session) as fresh:
        return fresh.execute(
            sa.select(VolunteerProfile.home_grid_id)
            .join(User, User.id == VolunteerProfile.user_id)  # type: ignore[arg-type]
            .where(User.username == username)
        ).scalar_one_or_none()


def test_a_grid_name_of_the_importers_own_street_finds_that_streets_grid(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(session, session_factory, settings)
    response = _import(client, world, "admin A", SAME, "same-name-a")
    assert response.status_code == 200, response.text[-2000:]
    assert _home_grid(session, "same-name-a") == world.a.grids[0].id


def test_a_grid_name_only_another_street_has_is_not_a_street_admins_grid(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(session, session_factory, settings)
    for grid in (ONLY_B, world.b.grids[-1].code):  # by name and by code alike
        response = _import(client, world, "admin A", grid, "other-street")
        assert response.status_code == 400, response.text[-2000:]
        assert grid in response.text and "网格" in response.text
        assert _home_grid(session, "other-street") is None


def test_a_grid_name_two_streets_share_is_refused_for_a_city_admin_asking_for_the_code(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(session, session_factory, settings)
    response = _import(client, world, "city admin", SAME, "city-same")
    assert response.status_code == 400, response.text[-2000:]
    assert "网格编号" in response.text
    assert world.a.grids[0].code in response.text and world.b.grids[-2].code in response.text
    assert _home_grid(session, "city-same") is None

    response = _import(client, world, "city admin", world.b.grids[-2].code, "city-same")
    assert response.status_code == 200, response.text[-2000:]
    assert _home_grid(session, "city-same") == world.b.grids[-2].id
