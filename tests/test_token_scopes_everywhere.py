"""Every route a bearer token can reach checks the token's scope: routes × scopes, from the app's route table.

A route that declares no scope is closed to tokens (so a new route cannot forget one); a route that
declares one answers 403 to a token of the right role holding every other scope, and changes nothing.
"""

from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.security.guards import ANY_TOKEN, declared_token_scopes, former_token_scopes
from marketplace.security.tokens import TOKEN_SCOPES, create_api_token
from marketplace.settings import Settings
from tests.security_world import World, app_routes, build_world, changed_tables, iter_param_values, table_checksums

# The only routes any live token may call whatever its scopes: a token asking who it is.
ANY_TOKEN_ROUTES = {"GET /api/v1/auth/me", "GET /api/v1/tokens/me"}


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> World:
    return build_world(session, session_factory, settings)


def _user_passing_roles(guard_names: list[str], world: World) -> int:
    """A user whose role the route admits, so a 403 can only come from the scope."""
    roles = next((name.removeprefix("roles_").split("_") for name in guard_names if name.startswith("roles_")), [])
    for role, key in (
        ("admin", "admin"),
        ("staff", "staff_x"),
        ("partner", "manager_a"),
        ("volunteer", "volunteer_v_user"),
    ):
        if not roles or role in roles:
            return world.ids[key]
    raise AssertionError(f"no user for {guard_names}")


def _values(route: Any, world: World) -> dict[str, Any]:
    candidates = world.candidates()
    candidates["user"] = [world.ids["partner_a2"]]
    return next(iter_param_values(route, candidates))


def test_every_token_reachable_route_refuses_a_token_without_its_scope(
    app: Litestar, client: TestClient[Any], world: World, session_factory: sessionmaker[Session], clean_engine: Any
) -> None:
    tokens: dict[tuple[int, str, frozenset[str]], str] = {}

    def token(user_id: int, missing: str, former: frozenset[str] = frozenset()) -> str:
        """Every scope but ``missing`` (and the scopes the route accepted before it, ``former``)."""
        if (user_id, missing, former) not in tokens:
            scopes = [scope for scope in TOKEN_SCOPES if scope != missing and scope not in former]
            with session_factory() as db:
                secret, _ = create_api_token(
                    db, user_id=user_id, name=f"all but {missing}", scopes=scopes, created_by_id=None
                )
                db.commit()
            tokens[user_id, missing, former] = secret
        return tokens[user_id, missing, former]

    routes = [r for r in app_routes(app) if not r.is_public]
    any_token_routes = {r.label for r in routes if ANY_TOKEN in declared_token_scopes(r.handler)}
    assert any_token_routes == ANY_TOKEN_ROUTES
    for route in routes:  # every token first, so the tables are compared without them
        for missing in sorted(declared_token_scopes(route.handler)) or [""]:
            token(_user_passing_roles(route.guard_names, world), missing, former_token_scopes(route.handler))
    before = table_checksums(clean_engine)
    cells, refused = 0, []
    for route in routes:
        if route.label in ANY_TOKEN_ROUTES:
            continue
        scopes = declared_token_scopes(route.handler)
        user_id = _user_passing_roles(route.guard_names, world)
        path = route.fill(_values(route, world))
        # Undeclared routes: even a token with every scope is refused.
        for missing in sorted(scopes) or [""]:
            client.cookies.clear()
            response = client.request(
                route.method,
                path,
                json={},
                headers={"Authorization": f"Bearer {token(user_id, missing, former_token_scopes(route.handler))}"},
            )
            cells += 1
            is_json = "json" in response.headers.get("content-type", "")
            detail = str(response.json().get("detail", "")) if is_json else ""
            # Pages answer with the generic 403 page; JSON answers say it was the token's scope.
            said_why = not detail or "lacks the scope" in detail or "not open to API tokens" in detail
            if response.status_code != 403 or (route.path.startswith("/api/") and not said_why):
                refused.append(
                    f"{route.label} without {missing or 'any declared scope'}: {response.status_code} {detail}"
                )
    assert cells > 100
    assert not refused, "routes a token without the needed scope got through:\n" + "\n".join(refused)
    assert changed_tables(before, table_checksums(clean_engine)) == []


def test_every_api_route_declares_its_scope(app: Litestar) -> None:
    """The JSON API is for scripts: every guarded /api/v1 route says which scope a token needs.

    Only logout is closed to tokens on purpose (a token is revoked by an admin, not signed out).
    """
    undeclared = [
        r.label
        for r in app_routes(app)
        if r.path.startswith("/api/") and not r.is_public and not declared_token_scopes(r.handler)
    ]
    assert undeclared == ["POST /api/v1/auth/logout"]


def test_the_probe_reproducers_are_refused_and_the_right_scope_works(
    client: TestClient[Any], world: World, session_factory: sessionmaker[Session]
) -> None:
    def bearer(user_id: int, *scopes: str) -> dict[str, str]:
        with session_factory() as db:
            secret, _ = create_api_token(db, user_id=user_id, name="probe", scopes=list(scopes), created_by_id=None)
            db.commit()
        return {"Authorization": f"Bearer {secret}"}

    volunteer = world.ids["volunteer_v_user"]
    offers_only = bearer(volunteer, "offers:read")
    assert client.put("/api/v1/volunteers/me", json={"weekly_hour_cap": 12}, headers=offers_only).status_code == 403
    assert client.get("/api/v1/notifications", headers=offers_only).status_code == 403
    assert client.post("/api/v1/notifications/read", json={"all": True}, headers=offers_only).status_code == 403
    assert client.get("/api/v1/escalations", headers=bearer(world.ids["admin"], "offers:read")).status_code == 403

    profile = bearer(volunteer, "profile:read", "profile:write", "matches:read", "matches:write")
    assert client.put("/api/v1/volunteers/me", json={"weekly_hour_cap": 12}, headers=profile).status_code == 200
    assert client.get("/api/v1/volunteers/me", headers=profile).json()["weekly_hour_cap"] == 12
    assert client.get("/api/v1/notifications", headers=profile).status_code == 200
    assert client.get("/api/v1/escalations", headers=bearer(world.ids["admin"], "needs:read")).status_code == 200
    # A token is not a browser: pages stay closed to it whatever its scopes.
    assert client.get("/needs", headers=bearer(world.ids["admin"], *TOKEN_SCOPES)).status_code == 403


def test_a_token_on_a_public_route_sees_what_anyone_sees_unless_it_carries_the_named_scope(
    app: Litestar, client: TestClient[Any], world: World, session_factory: sessionmaker[Session]
) -> None:
    """A public JSON route answers a token as it answers anonymous callers (routes × the admin's token without
    the route's viewer scope), so a narrow token never inherits its user's wider view."""

    def bearer(*scopes: str) -> dict[str, str]:
        with session_factory() as db:
            secret, _ = create_api_token(
                db, user_id=world.ids["admin"], name="narrow", scopes=list(scopes), created_by_id=None
            )
            db.commit()
        return {"Authorization": f"Bearer {secret}"}

    compared = []
    for route in app_routes(app):
        if not (route.is_public and route.method == "GET" and route.path.startswith("/api/")):
            continue
        if route.label == "GET /api/v1/auth/csrf":  # a fresh random token for every anonymous caller
            continue
        viewer_scope = route.handler.opt.get("viewer_scope")
        narrow = bearer(*[scope for scope in TOKEN_SCOPES if scope != viewer_scope])
        path = route.fill(_values(route, world))
        client.cookies.clear()
        anonymous = client.get(path)
        client.cookies.clear()
        with_token = client.get(path, headers=narrow)
        compared.append(route.label)
        assert (with_token.status_code, with_token.content) == (anonymous.status_code, anonymous.content), route.label
    assert "GET /api/v1/organizations" in compared and len(compared) >= 5

    pending = world.ids["org_p"]
    listed = client.get("/api/v1/organizations", params={"page_size": 100}, headers=bearer("needs:read")).json()
    assert pending not in {item["id"] for item in listed["items"]}
    assert client.get(f"/api/v1/organizations/{pending}", headers=bearer("needs:read")).status_code == 404
    admin_view = client.get("/api/v1/organizations", params={"page_size": 100}, headers=bearer("admin")).json()
    assert pending in {item["id"] for item in admin_view["items"]}


def test_the_readme_names_every_scope_a_token_can_have() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    assert [scope for scope in TOKEN_SCOPES if f"`{scope}`" not in readme] == []
