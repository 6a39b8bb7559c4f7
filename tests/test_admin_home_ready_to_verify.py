"""A street admin's home has the ready-to-verify (待验收) card the staff home has: the same count (the need
list's ready_to_verify filter, within the admin's street; a city admin's: every street), linking to the
filtered list, which shows those needs; on the page in both languages and in the API's home.

The world is tests/street_fixtures.py's two streets: each street has a need in every status, none with a
line or a shift, so each one in a status that verifies is ready; the published project is not.
"""

import re

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.needs.models import NeedStatus
from marketplace.settings import Settings
from tests.security_world import use
from tests.street_fixtures import TwoStreets, build_two_streets

VERIFIES = (NeedStatus.PARTIALLY_MATCHED, NeedStatus.MATCHED, NeedStatus.IN_PROGRESS, NeedStatus.COMPLETED)


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings, app: Litestar) -> TwoStreets:
    return build_two_streets(session, session_factory, settings)


def _ready(world: TwoStreets, role: str) -> set[int]:
    a = {world.a.needs[status].id or 0 for status in VERIFIES}
    b = {world.b.needs[status].id or 0 for status in VERIFIES}
    return {"admin A": a, "admin B": b, "city admin": a | b}[role]


@pytest.mark.parametrize("role", ["admin A", "admin B", "city admin"])
def test_the_admin_home_counts_the_ready_needs_of_their_street_and_links_to_them(
    client: TestClient[Litestar], world: TwoStreets, role: str
) -> None:
    expected = _ready(world, role)
    use(client, world.identities[role])
    home = client.get("/api/v1/me/home")
    assert home.status_code == 200, home.text
    cards = {card["key"]: card for section in home.json()["sections"] for card in section["cards"]}
    card = cards["needs_to_verify"]
    assert card["number"] == len(expected) and card["href"] == "/needs?ready_to_verify=true"
    listed = client.get(card["href"]).text
    assert {int(n) for n in re.findall(r'<td><a href="/needs/(\d+)">', listed)} == expected


@pytest.mark.parametrize(("lang", "label"), [("en", "Ready to verify"), ("zh_CN", "待验收")])
def test_the_admin_home_page_shows_the_card_in_the_readers_language(
    client: TestClient[Litestar], world: TwoStreets, lang: str, label: str
) -> None:
    use(client, world.identities["admin A"])
    client.cookies.set("lang", lang)
    page = client.get("/home")
    assert page.status_code == 200
    flat = " ".join(page.text.split())
    link = re.search(r'<a[^>]*href="/needs\?ready_to_verify=true"[^>]*>(.*?)</a>', flat)
    assert link, "no card linking to the ready-to-verify list"
    assert label in link.group(1) and str(len(_ready(world, "admin A"))) in link.group(1)
