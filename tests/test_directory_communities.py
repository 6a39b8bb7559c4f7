"""The organizations directory's community filter lists the communities of the reader's streets, read as
communities (not every grid of them, which at 100 streets was 2,100 rows to name about 600 communities)."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login
from tests.street_fixtures import TwoStreets, build_two_streets
from tests.test_city_filter_places import _options


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    return build_two_streets(session, session_factory, settings)


def _community_options(client: TestClient[Any], user: User) -> set[int]:
    assert login(client, user.username, DEFAULT_PASSWORD).status_code == 303
    page = client.get("/directory/organizations")
    assert page.status_code == 200, page.text
    options = _options(page.text, "o-community")
    assert options is not None
    return options


def test_each_reader_chooses_among_the_communities_of_their_own_streets(
    client: TestClient[Any], world: TwoStreets
) -> None:
    a = {community.id for community in world.a.communities}
    b = {community.id for community in world.b.communities}
    assert _community_options(client, world.a.admin) == a
    client.cookies.clear()
    assert _community_options(client, world.a.staff) == a
    client.cookies.clear()
    assert _community_options(client, world.b.admin) == b
    client.cookies.clear()
    assert _community_options(client, world.city_admin) >= a | b
