"""The access matrix: every object endpoint and every admin/owner route of the application, called by
anonymous, a volunteer, a partner of another organization, staff of another community and a
disabled user, with the ids of objects they must not reach.

A cell LEAKS when a GET answers 2xx with the victim's private data (or an admin page opens), or an
unsafe call succeeds (2xx, or a redirect other than to /login) or changes any row of any table.
Unsafe calls carry a valid CSRF token for the caller, so CSRF is not what stops them.
"""

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.settings import Settings
from tests.security_world import (
    UNSAFE_METHODS,
    Route,
    World,
    app_routes,
    build_world,
    changed_tables,
    iter_param_values,
    table_checksums,
    use,
)

ATTACKERS = ("anonymous", "volunteer", "partner of another organization", "staff of another community", "disabled user")
ROLE_OF = {
    "volunteer": "volunteer",
    "partner of another organization": "partner",
    "staff of another community": "staff",
}
# Parameter routes that address no one's data.
NOT_OBJECT_ROUTES = ("/static/", "/schema", "/lang/")


def kitchen_sink(world: World) -> dict[str, Any]:
    """A body that fills whatever fields a handler wants, so validation is not what stops the call."""
    return {
        "role": "admin",
        "status": "approved",
        "decision": "approve",
        "reason": "越权测试",
        "status_reason": "越权测试",
        "is_active": False,
        "is_org_manager": True,
        "name": "被篡改的名称",
        "display_name": "被篡改",
        "contact_name": "篡改者",
        "contact_phone": "13000000000",
        "phone": "13000000000",
        "email": "attacker@example.org",
        "address": "篡改地址",
        "description": "篡改说明",
        "username": "attacker-made",
        "password": "a long enough new password 2026",
        "new_password": "a long enough new password 2026",
        "confirm": "a long enough new password 2026",
        "organization_id": world.ids["org_b"],
        "community_id": world.ids["community_y"],
        "home_grid_id": world.ids["grid_y"],
        "weekly_hour_cap": 20,
        "scopes": "admin",
    }


def victim_query(world: World) -> str:
    """Filters a list page might take, all naming the victim's scope."""
    i = world.ids
    return (
        f"community={i['community_x']}&community_id={i['community_x']}&grid={i['grid_x']}&grid_id={i['grid_x']}"
        f"&organization={i['org_a']}&organization_id={i['org_a']}&status=pending&q=w-&page=1"
    )


def matrix_routes(app: Litestar) -> list[Route]:
    """Object endpoints (a path parameter) and role-guarded routes (admin pages, owner pages)."""
    chosen = []
    for route in app_routes(app):
        if route.method == "HEAD" or route.path.startswith(NOT_OBJECT_ROUTES):
            continue
        if route.params or any(name.startswith("roles_") for name in route.guard_names):
            chosen.append(route)
    return chosen


def allowed_roles(route: Route) -> set[str]:
    roles: set[str] = set()
    for name in route.guard_names:
        if name.startswith("roles_"):
            roles |= set(name.removeprefix("roles_").split("_"))
    return roles


@dataclass(frozen=True)
class Cell:
    route: str
    identity: str
    path: str
    status: int
    verdict: str  # "ok", "LEAK: ..."


def _call(client: TestClient[Any], route: Route, path: str, identity: Any, body: dict[str, Any]) -> Any:
    headers = identity.headers()
    if route.method not in UNSAFE_METHODS:
        return client.request(route.method, path, follow_redirects=False)
    if path.startswith("/api/"):
        return client.request(route.method, path, json=body, headers=headers, follow_redirects=False)
    form = {key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in body.items()}
    return client.request(route.method, path, data=form | {"csrf_token": identity.csrf}, follow_redirects=False)


def _unsafe_success(response: Any) -> bool:
    if 200 <= response.status_code < 300:
        return True
    if 300 <= response.status_code < 400:
        return not response.headers.get("location", "").startswith("/login")
    return False


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> World:
    return build_world(session, session_factory, settings)


def test_no_identity_reaches_another_scope(
    app: Litestar,
    client: TestClient[Any],
    world: World,
    clean_engine: sa.Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    routes = matrix_routes(app)
    candidates = world.candidates()
    secrets = world.secrets
    body = kitchen_sink(world)
    cells: list[Cell] = []
    skipped_own = 0
    checksum = table_checksums(clean_engine)
    for route in routes:
        is_admin_route = route.path.startswith(("/admin", "/api/v1/admin", "/api/v1/audit"))
        for name in ATTACKERS:
            identity = world.identities[name]
            own_page = not route.params and ROLE_OF.get(name) in allowed_roles(route)
            if own_page and route.method in UNSAFE_METHODS:
                skipped_own += 1  # changing the caller's own organization or profile is allowed
                continue
            paths = [route.fill(values) for values in iter_param_values(route, candidates)]
            if route.method == "GET" and not route.params:
                paths.append(route.path + "?" + victim_query(world))  # lists filtered to the victim's scope
            for path in paths:
                use(client, identity)
                response = _call(client, route, path, identity, body)
                verdict = "ok"
                if route.method in UNSAFE_METHODS:
                    after = table_checksums(clean_engine)
                    changed = changed_tables(checksum, after)
                    checksum = after
                    if changed:
                        verdict = f"LEAK: changed {', '.join(changed)}"
                    elif _unsafe_success(response):
                        verdict = f"LEAK: unsafe call answered {response.status_code}"
                elif 200 <= response.status_code < 300:
                    found = [key for key, value in secrets.items() if value in response.text]
                    if found:
                        verdict = f"LEAK: shows {', '.join(found)}"
                    elif is_admin_route:
                        verdict = "LEAK: admin page opened"
                cells.append(Cell(route.label, name, path, response.status_code, verdict))

    leaks = [cell for cell in cells if cell.verdict != "ok"]
    statuses = Counter(cell.status for cell in cells)
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(routes)} routes × {len(ATTACKERS)} identities; {len(cells)} cells tested "
            f"({sum(1 for c in cells if c.route.split()[0] in UNSAFE_METHODS)} unsafe), "
            f"{skipped_own} unsafe calls to the caller's own page skipped; leaks: {len(leaks)}; "
            f"statuses: {dict(sorted(statuses.items()))}"
        )
        for cell in leaks:
            print(f"  {cell.verdict}: {cell.identity} → {cell.route} as {cell.path} ({cell.status})")
    assert len(routes) >= 5 and cells
    assert not leaks, f"{len(leaks)} leaking cells of {len(cells)}"


def test_the_detector_sees_private_data_when_it_is_shown(app: Litestar, client: TestClient[Any], world: World) -> None:
    """The admin may see organization A's contacts: proof the matrix would notice a leak."""
    use(client, world.identities["admin"])
    seen = set()
    for route in matrix_routes(app):
        if route.method != "GET":
            continue
        for values in iter_param_values(route, world.candidates()):
            response = client.get(route.fill(values), follow_redirects=False)
            if response.status_code == 200:
                seen |= {key for key, value in world.secrets.items() if value in response.text}
    assert {"org_a_phone", "org_a_code"} <= seen, seen
