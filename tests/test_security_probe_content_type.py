"""A JSON API route reads only a body that says it is JSON: anything else is a 415 naming Content-Type.

Found by the security probe: Litestar decodes a handler's JSON body whatever the request's Content-Type,
while the edge checks (``marketplace.hostile_input``: invalid UTF-8, nesting depth, NUL, integers too big
for the database, ``true`` for an integer) only look at bodies declared ``application/json``. A body sent
as ``text/plain``, as a form, or with no Content-Type at all therefore slipped past them: 50,000 nested
brackets or invalid UTF-8 were a 500, ``"grid_id": true`` created a need in grid 1. ``text/plain`` is also
the one type a foreign page may send without a CORS preflight; CSRF tokens stop that today, and the 415
is a second wall behind them. The rule lives in one place, the hook every request passes before its
handler; the routes are enumerated from the application (every operation whose OpenAPI request body is
``application/json``), so routes added later are covered too.
"""

import json
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests.security_helpers import make_grid, make_user
from tests.security_world import (
    Route,
    World,
    app_routes,
    build_world,
    changed_tables,
    session_identity,
    table_checksums,
    use,
)
from tests.test_csrf import admitted, own_values

NOT_JSON = {
    "text/plain": "text/plain",
    "a form": "application/x-www-form-urlencoded",
    "text/plain with a charset": "text/plain; charset=utf-8",
    "no Content-Type": None,
}
BODY = json.dumps({"name": "x"})


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> World:
    return build_world(session, session_factory, settings)


def json_body_routes(app: Litestar) -> list[Route]:
    """Every route whose OpenAPI operation takes an ``application/json`` request body."""
    spec = app.openapi_schema.to_schema()
    found = []
    for route in app_routes(app):
        operation = spec["paths"].get(route.path.replace(":int", "").replace(":str", ""), {}).get(route.method.lower())
        if operation and "application/json" in operation.get("requestBody", {}).get("content", {}):
            found.append(route)
    return found


def _post(client: TestClient[Any], method: str, path: str, token: str, body: bytes | str, media: str | None) -> Any:
    headers = {"X-CSRF-Token": token, "Accept": "application/json"}
    if media is not None:
        headers["Content-Type"] = media
    return client.request(method, path, content=body, headers=headers, follow_redirects=False)


def _staff(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> tuple[Any, int]:
    grid = make_grid(session)
    user = make_user(session, Role.STAFF, community_id=grid.community_id)
    session.commit()
    return session_identity(session_factory, settings, user), int(grid.id)  # type: ignore[arg-type]


def _need(grid_id: int, **overrides: Any) -> dict[str, Any]:
    return {
        "title": "楼道灯不亮",
        "category": "sanitation",
        "grid_id": grid_id,
        "channel": "walk_in",
        "urgency": "normal",
    } | overrides


def test_every_json_route_answers_415_to_a_body_not_sent_as_json(
    app: Litestar,
    client: TestClient[Any],
    world: World,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clean_engine: sa.Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    routes = json_body_routes(app)
    assert len(routes) >= 30
    failures: list[str] = []
    calls = 0
    for route in routes:
        path = route.fill(own_values(route, world))
        for identity in admitted(route, world, session_factory, settings):
            before = table_checksums(clean_engine)
            for case, media in NOT_JSON.items():
                use(client, identity)
                response = _post(client, route.method, path, identity.csrf, BODY, media)
                calls += 1
                said = response.json() if response.headers.get("content-type", "").startswith("application/") else {}
                if response.status_code != 415 or "Content-Type" not in str(said.get("detail", "")):
                    failures.append(f"{route.label} as {identity.name}, {case}: {response.status_code}")
            changed = changed_tables(before, table_checksums(clean_engine))
            if changed:
                failures.append(f"{route.label} as {identity.name}: changed {changed}")
    with capsys.disabled():
        print(f"\nContent-Type: {len(routes)} JSON routes, {calls} calls with a body not sent as JSON; failures:")
        for failure in failures:
            print("  " + failure)
    assert not failures


def test_a_json_body_still_passes_in_every_json_spelling(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    staff, grid_id = _staff(session, session_factory, settings)
    use(client, staff)
    for media in ("application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge+json"):
        body = json.dumps(_need(grid_id, title=f"楼道灯不亮 {media}"))
        response = _post(client, "POST", "/api/v1/needs", staff.csrf, body, media)
        assert response.status_code == 201, (media, response.text)


def test_a_json_route_called_without_a_body_needs_no_content_type(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """A body-less POST (a logout, a command whose body is optional) needs to declare no type."""
    staff, grid_id = _staff(session, session_factory, settings)
    use(client, staff)
    created = _post(client, "POST", "/api/v1/needs", staff.csrf, json.dumps(_need(grid_id)), "application/json")
    assert created.status_code == 201, created.text
    need = created.json()["id"]
    # The body is optional here: without one the route answers for itself (nothing to withdraw), not 415.
    withdraw = _post(client, "POST", f"/api/v1/needs/{need}/consent/withdraw", staff.csrf, b"", None)
    assert withdraw.status_code == 409 and "consent" in withdraw.text, withdraw.text
    out = _post(client, "POST", "/api/v1/auth/logout", staff.csrf, b"", "text/plain")
    assert out.status_code == 200, out.text


@pytest.mark.parametrize(
    ("case", "body"),
    [
        ("nested 50,000 deep", '{"title": ' + "[" * 50_000 + "]" * 50_000 + "}"),
        ("invalid UTF-8", b'{"title": "\xff\xfe"}'),
        ("true for an integer", "GRID_TRUE"),
        ("an integer no column holds", "GRID_HUGE"),
    ],
)
def test_a_body_not_sent_as_json_no_longer_slips_past_the_edge_checks(
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clean_engine: sa.Engine,
    case: str,
    body: str | bytes,
) -> None:
    """Each was a 500 or a created need when sent as text/plain; as application/json each was already a 400."""
    staff, grid_id = _staff(session, session_factory, settings)
    if body == "GRID_TRUE":
        body = json.dumps(_need(grid_id) | {"grid_id": True})
    elif body == "GRID_HUGE":
        body = json.dumps(_need(grid_id) | {"grid_id": 2**64})
    use(client, staff)
    before = table_checksums(clean_engine)
    as_json = _post(client, "POST", "/api/v1/needs", staff.csrf, body, "application/json")
    assert as_json.status_code == 400, (case, as_json.status_code, as_json.text[:200])
    for media in ("text/plain", None):
        response = _post(client, "POST", "/api/v1/needs", staff.csrf, body, media)
        assert response.status_code == 415, (case, media, response.status_code, response.text[:200])
        assert response.json()["extra"] == [
            {"key": "Content-Type", "message": response.json()["extra"][0]["message"], "code": "unsupported_media_type"}
        ]
    assert changed_tables(before, table_checksums(clean_engine)) == []


def test_the_api_description_documents_the_415(client: TestClient[Any]) -> None:
    spec = client.get("/schema/openapi.json").json()
    missing = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            takes_json = "application/json" in operation.get("requestBody", {}).get("content", {})
            if takes_json and "415" not in operation.get("responses", {}):
                missing.append(f"{method.upper()} {path}")
    assert not missing
