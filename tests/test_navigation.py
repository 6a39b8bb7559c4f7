"""Every link of a role's navigation leads to a page that role can open: no dead ends, no 403 in the menu."""

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.settings import Settings
from tests.security_world import World, build_world, use

NAV = re.compile(r'<nav class="wrap main-nav"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"')


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> World:
    return build_world(session, session_factory, settings)


EXPECTED = {
    "admin": {"/home", "/review", "/rounds", "/needs", "/escalations", "/offers", "/admin/users"},
    "staff of another community": {"/home", "/needs", "/escalations", "/offers", "/volunteers"},
    "partner of another organization": {"/home", "/recommended", "/claims", "/offers", "/organization"},
    "volunteer": {"/home", "/recommended", "/signups", "/volunteer/hours", "/volunteer/profile"},
    "anonymous": set(),
}


@pytest.mark.parametrize("who", sorted(EXPECTED))
def test_each_navigation_link_opens_for_its_role(client: TestClient[Any], world: World, who: str) -> None:
    use(client, world.identities[who])
    client.cookies.set("lang", "en")
    home = client.get("/")
    assert home.status_code == 200
    found = NAV.search(home.text)
    assert found, "the main navigation is missing"
    links = HREF.findall(found.group(1))
    assert {"/", "/figures"} <= set(links)
    assert EXPECTED[who] <= set(links)
    if who != "admin":
        assert "/review" not in links and "/admin/users" not in links
    for href in links:
        response = client.get(href)
        assert response.status_code == 200, f"{who}: {href} answered {response.status_code}"
