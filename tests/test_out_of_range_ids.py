"""An id too large for the database's integers is a 404 on every route (nothing can have it), never a 500.

PostgreSQL refuses to compare an INTEGER column with 2**40 ("integer out of range"); SQLite does
not. Every route with an integer path parameter is called by each kind of signed-in user with such
an id, on whichever database the suite runs on.
"""

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.settings import Settings
from tests.security_world import World, app_routes, build_world, use

HUGE = 2**40


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> World:
    return build_world(session, session_factory, settings)


def test_huge_ids_are_never_a_server_error(app: Litestar, client: TestClient[Any], world: World) -> None:
    routes = [route for route in app_routes(app) if any(kind == "int" for _name, kind in route.params)]
    assert len(routes) > 30  # the sweep covers the application, not a handful of routes
    failures = []
    for who in ("admin", "staff of another community", "partner of another organization", "volunteer"):
        identity = world.identities[who]
        use(client, identity)
        for route in routes:
            values = {name: HUGE if kind == "int" else "x" for name, kind in route.params}
            response = client.request(
                route.method, route.fill(values), headers=identity.headers(), data={"csrf_token": identity.csrf}
            )
            if response.status_code >= 500:
                failures.append(f"{who}: {route.label} → {response.status_code}")
    assert failures == []


def test_the_answer_names_the_parameter_as_a_page_and_as_json(client: TestClient[Any], world: World) -> None:
    use(client, world.identities["admin"])
    api = client.get(f"/api/v1/needs/{HUGE}")
    assert api.status_code == 404 and "need_id" in api.json()["detail"]
    page = client.get(f"/needs/{HUGE}", headers={"Accept": "text/html"})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
