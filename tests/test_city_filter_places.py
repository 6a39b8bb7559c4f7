"""A filter by community and grid lists what one can choose from, not a city's every grid.

In a deployment of many streets, the board offered every community and grid of the city in its filter (at 100
streets: 2,100 grid options, 195 KB of a 27 KB page, on the most visited page), and a city admin's review inbox
did the same. Now the board lists the chosen street's communities and grids (or those of the street the chosen
community or grid lies in) and asks for a street first otherwise; a one-street deployment lists its own as
before. The city admin's inbox lists the communities with pending items, and a community's grids once it is
chosen; a street admin's lists their street's, never another street's.
"""

import re
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid
from tests.street_fixtures import TwoStreets, build_two_streets

STREET_FIRST = "Choose a street above to narrow the projects by community and grid."
COMMUNITY_FIRST = "Choose a community to pick one of its grids."


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    return build_two_streets(session, session_factory, settings)


def _options(html: str, select_id: str) -> set[int] | None:
    """The ids a <select> offers (its "any" option left out); None when the page has no such select."""
    found = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S)
    if found is None:
        return None
    return {int(value) for value in re.findall(r'<option value="(\d+)"', found.group(1))}


def _grids_of(session: Session, *community_ids: int | None) -> set[int]:
    rows = session.execute(sa.select(Grid.id).where(Grid.community_id.in_(community_ids)))  # type: ignore[union-attr]
    return {int(grid_id) for (grid_id,) in rows}


def _english(client: TestClient[Any], path: str) -> str:
    client.cookies.set("lang", "en")
    answer = client.get(path)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_the_city_board_asks_for_a_street_before_listing_communities_and_grids(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    board = _english(client, "/")
    assert _options(board, "filter-grid") is None and _options(board, "filter-community") is None
    assert STREET_FIRST in board

    b = world.b
    chosen = _english(client, f"/?street={b.street.code}")
    assert _options(chosen, "filter-community") == {c.id for c in b.communities}
    assert _options(chosen, "filter-grid") == _grids_of(session, *(c.id for c in b.communities))
    assert STREET_FIRST not in chosen

    # A community chosen without a street (a shared link): the filter lists that community's street.
    linked = _english(client, f"/?community={b.communities[1].id}")
    assert _options(linked, "filter-community") == {c.id for c in b.communities}
    assert _options(linked, "filter-grid") == _grids_of(session, *(c.id for c in b.communities))
    by_grid = _english(client, f"/?grid={world.a.grids[0].id}")
    assert _options(by_grid, "filter-grid") == _grids_of(session, *(c.id for c in world.a.communities))


def test_a_one_street_board_lists_its_communities_and_grids(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    session.commit()
    board = _english(client, "/")
    assert _options(board, "filter-grid") == {grid.id}
    assert _options(board, "filter-community") == {grid.community_id}
    assert STREET_FIRST not in board


def _pending_communities(session: Session) -> set[int]:
    rows = session.execute(
        sa.select(Grid.community_id)
        .join(Need, Need.grid_id == Grid.id)
        .join(Match, Match.need_id == Need.id)
        .where(Match.status == MatchStatus.PROPOSED)
        .distinct()
    )
    return {int(community_id) for (community_id,) in rows}


def test_a_city_admins_inbox_lists_communities_with_items_and_a_chosen_ones_grids(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    assert login(client, world.city_admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    inbox = _english(client, "/review")
    pending = _pending_communities(session)
    assert {world.a.communities[0].id, world.b.communities[0].id} <= pending
    assert _options(inbox, "f-community") == pending
    assert _options(inbox, "f-grid") == set() and COMMUNITY_FIRST in inbox

    chosen = world.b.communities[0].id
    narrowed = _english(client, f"/review?community={chosen}")
    assert _options(narrowed, "f-grid") == _grids_of(session, chosen)
    assert COMMUNITY_FIRST not in narrowed
    by_grid = _english(client, f"/review?grid={world.a.grids[0].id}")
    assert _options(by_grid, "f-grid") == _grids_of(session, world.a.grids[0].community_id)


def test_a_street_admins_inbox_lists_their_streets_grids_only(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    assert login(client, world.a.admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    inbox = _english(client, "/review")
    assert _options(inbox, "f-community") == {c.id for c in world.a.communities}
    assert _options(inbox, "f-grid") == _grids_of(session, *(c.id for c in world.a.communities))
    assert COMMUNITY_FIRST not in inbox
