"""Lists written out in a cell read in the page's language: "、" between names in Chinese, ", " in English.

The organization detail, the organization's own page and a volunteer's detail joined grids and skills with ", " in
both languages; they now use the one ``list_separator()`` the other pages use.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from marketplace.organizations.models import OrganizationGrid
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login, reading
from tests.street_fixtures import TwoStreets, build_two_streets


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    built = build_two_streets(session, session_factory, settings)
    # Serving a second grid of its street, so the pages list two.
    served = {
        row.grid_id
        for row in session.exec(select(OrganizationGrid)).all()
        if row.organization_id == built.both_organization.id
    }
    extra = next(grid for grid in built.b.grids if grid.id not in served)
    session.add(OrganizationGrid(organization_id=built.both_organization.id, grid_id=extra.id))
    session.commit()
    return built


def _grid_names(session: Session, world: TwoStreets) -> list[Grid]:
    with reading(session) as fresh:
        rows = fresh.exec(select(OrganizationGrid)).all()
        ids = [row.grid_id for row in rows if row.organization_id == world.both_organization.id]
        return [grid for grid in (fresh.get(Grid, grid_id) for grid_id in sorted(ids)) if grid is not None]


@pytest.mark.parametrize(("who", "path"), [("city admin", "admin"), ("partner both", "own")])
def test_an_organizations_grids_are_listed_in_the_pages_language(
    client: TestClient[Any], session: Session, world: TwoStreets, who: str, path: str
) -> None:
    grids = _grid_names(session, world)
    assert len(grids) >= 2
    assert login(client, world.user_of(who).username, DEFAULT_PASSWORD).status_code in (302, 303)
    url = f"/admin/organizations/{world.both_organization.id}" if path == "admin" else "/organization"
    client.cookies.set("lang", "zh_CN")
    chinese = client.get(url).text
    assert "、".join(grid.name for grid in grids) in chinese
    client.cookies.set("lang", "en")
    english = client.get(url).text
    assert ", ".join(grid.name_en for grid in grids) in english
