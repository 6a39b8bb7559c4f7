"""Ready to verify (待验收) keeps to the needs a person may see: grid staff their grids, a street admin their
street, a city admin every street, in the need list's filter, its count, the API and the staff home.

The world is tests/street_fixtures.py's two streets, A and B (every row of A carries ALFAMARK, of B
BRAVOMARK): each street has a need in every status, alternately in its two communities, none of them with a
line or a shift, so each one in a status that verifies is ready; the published project with its claims and
its shift is not.
"""

import re
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import NeedStatus
from marketplace.settings import Settings
from tests.security_helpers import make_user
from tests.security_world import session_identity, use
from tests.street_fixtures import TwoStreets, build_two_streets

VERIFIES = (NeedStatus.PARTIALLY_MATCHED, NeedStatus.MATCHED, NeedStatus.IN_PROGRESS, NeedStatus.COMPLETED)


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings, app: Litestar) -> TwoStreets:
    return build_two_streets(session, session_factory, settings)


def _ready(world: TwoStreets, role: str) -> set[int]:
    """The needs ``role`` should find ready to verify."""
    a = {world.a.needs[status].id or 0 for status in VERIFIES}
    b = {world.b.needs[status].id or 0 for status in VERIFIES}
    first_community = world.a.grids[0].id
    staff_a = {world.a.needs[status].id or 0 for status in VERIFIES if world.a.needs[status].grid_id == first_community}
    return {"staff A": staff_a, "admin A": a, "admin B": b, "city admin": a | b}[role]


def _tab_count(page: str) -> int:
    found = re.search(r"Ready to verify \((\d+)\)</a>", " ".join(page.split()))
    assert found, "no count beside the tab"
    return int(found.group(1))


@pytest.mark.parametrize("role", ["staff A", "admin A", "admin B", "city admin"])
def test_the_filter_counts_and_lists_only_the_needs_one_may_see(
    client: TestClient[Litestar], world: TwoStreets, role: str
) -> None:
    expected = _ready(world, role)
    assert expected  # every role has some: the filter is not vacuous
    use(client, world.identities[role])
    client.cookies.set("lang", "en")
    api = client.get("/api/v1/needs?ready_to_verify=true&page_size=100")
    assert api.status_code == 200, api.text
    assert {item["id"] for item in api.json()["items"]} == expected and api.json()["total"] == len(expected)
    page = client.get("/needs?ready_to_verify=true")
    assert page.status_code == 200
    assert _tab_count(page.text) == len(expected)
    assert _tab_count(client.get("/needs").text) == len(expected)  # the same count beside the tab on every list
    for need_id in expected:
        assert f'href="/needs/{need_id}"' in page.text
    others = {"staff A": ["BRAVOMARK"], "admin A": ["BRAVOMARK"], "admin B": ["ALFAMARK"], "city admin": []}[role]
    for mark in others:
        assert mark not in page.text and mark not in api.text
    if role == "staff A":
        # Street A's other community is not theirs, though its needs are ready too.
        assert "ALFAMARK需求in_progress" not in page.text and "ALFAMARK需求partially_matched" not in page.text


def test_grid_staff_find_the_ready_needs_of_their_grids_only(
    client: TestClient[Litestar],
    world: TwoStreets,
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    """Staff working in one grid (no community): the second community's grid of street A."""
    grid = world.a.grids[1]
    staff = make_user(session, Role.STAFF, grid_ids=[grid.id or 0])
    use(client, session_identity(session_factory, settings, staff))
    expected = {world.a.needs[status].id for status in VERIFIES if world.a.needs[status].grid_id == grid.id}
    assert expected
    body: Any = client.get("/api/v1/needs?ready_to_verify=true").json()
    assert {item["id"] for item in body["items"]} == expected
    home = client.get("/api/v1/me/home").json()
    cards = {card["key"]: card for section in home["sections"] for card in section["cards"]}
    assert cards["needs_to_verify"]["number"] == len(expected)


def test_the_staff_home_counts_their_grids_ready_needs_and_the_link_shows_them(
    client: TestClient[Litestar], world: TwoStreets
) -> None:
    use(client, world.identities["staff A"])
    home = client.get("/api/v1/me/home").json()
    card = next(card for section in home["sections"] for card in section["cards"] if card["key"] == "needs_to_verify")
    expected = _ready(world, "staff A")
    assert card["number"] == len(expected) and card["href"] == "/needs?ready_to_verify=true"
    listed = client.get(card["href"]).text
    assert listed.count('class="badge badge-ready"') == len(expected) and "BRAVOMARK" not in listed
