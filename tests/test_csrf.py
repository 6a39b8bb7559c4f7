"""CSRF on every state-changing route of the application (enumerated at run time).

For each unsafe route, as someone its guards admit (so only CSRF can stop the call): a missing
token, a wrong token, another session's token, and a correct token from a foreign Origin are each
refused with 403 and change no row of any table. A correct token from the same origin gets past
CSRF, and a bearer-token call without a session cookie is not CSRF-checked.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.security.tokens import TOKEN_SCOPES, create_api_token
from marketplace.settings import Settings
from tests.security_helpers import make_user
from tests.security_world import (
    Identity,
    Route,
    World,
    anonymous,
    build_world,
    changed_tables,
    iter_param_values,
    session_identity,
    table_checksums,
    unsafe_routes,
    use,
)

CSRF_DETAILS = ("Missing or invalid CSRF token", "Cross-site request refused")
FOREIGN_ORIGIN = "http://evil.example"


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> World:
    return build_world(session, session_factory, settings)


# Routes whose handler refuses a street admin (work on every street: jobs.services.check_may_start).
CITY_ADMIN_ONLY = {"/admin/jobs/train"}


def _city_admin(factory: sessionmaker[Session]) -> int:
    """An admin of no one street: the city admin."""
    with factory() as session:
        admin = make_user(session, Role.ADMIN)
        session.execute(sa.update(User).where(User.id == admin.id).values(street_id=None))  # type: ignore[arg-type]
        session.commit()
        return admin.id or 0


def admitted(route: Route, world: World, factory: sessionmaker[Session], settings: Settings) -> list[Identity]:
    """Fresh identities the route's guards let through: the one CSRF alone must stop."""
    ids = world.ids
    if route.is_public:
        return [anonymous(settings), session_identity(factory, settings, ids["admin"], "admin")]
    guards = " ".join(route.guard_names)
    if route.path in CITY_ADMIN_ONLY:
        return [session_identity(factory, settings, _city_admin(factory), "city admin")]
    if "roles_partner" in guards:
        return [session_identity(factory, settings, ids["manager_a"], "partner manager")]
    if "roles_volunteer" in guards:
        return [session_identity(factory, settings, ids["volunteer_v_user"], "volunteer")]
    if "roles_staff" in guards and "admin" not in guards:
        return [session_identity(factory, settings, ids["staff_x"], "staff")]
    return [session_identity(factory, settings, ids["admin"], "admin")]


def own_values(route: Route, world: World) -> dict[str, Any]:
    """Path parameters naming objects the admitted identity may act on."""
    candidates = world.candidates()
    if "roles_partner" in route.guard_names:
        candidates["user"] = [world.ids["partner_a2"]]
    candidates["organization"] = [world.ids["org_p"]]
    return next(iter_param_values(route, candidates))


def send(client: TestClient[Any], route: Route, path: str, token: str | None, origin: str | None = None) -> Any:
    headers = {"origin": origin} if origin else {}
    if path.startswith("/api/"):
        if token is not None:
            headers["X-CSRF-Token"] = token
        return client.request(route.method, path, json={"name": "x"}, headers=headers, follow_redirects=False)
    data = {"name": "x"} | ({"csrf_token": token} if token is not None else {})
    return client.request(route.method, path, data=data, headers=headers, follow_redirects=False)


def rejected_by_csrf(response: Any) -> bool:
    """A 403; JSON answers also say why (pages show a generic 403 page)."""
    if response.status_code != 403:
        return False
    if response.headers.get("content-type", "").startswith("application/json"):
        return str(response.json().get("detail", "")).startswith(CSRF_DETAILS)
    return True


def test_every_unsafe_route_refuses_bad_tokens_and_changes_nothing(
    app: Litestar,
    client: TestClient[Any],
    world: World,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clean_engine: sa.Engine,
    capsys: pytest.CaptureFixture[str],
) -> None:
    routes = unsafe_routes(app)
    other_session = session_identity(session_factory, settings, world.ids["volunteer_w_user"], "other")
    failures: list[str] = []
    calls = changes = 0
    for route in routes:
        path = route.fill(own_values(route, world))
        identities = admitted(route, world, session_factory, settings)
        before = table_checksums(clean_engine)  # after the identities' sessions were made
        for identity in identities:
            cases = {
                "missing token": (None, None),
                "wrong token": ("0" * 64, None),
                "another session's token": (other_session.csrf, None),
                "foreign Origin, correct token": (identity.csrf, FOREIGN_ORIGIN),
                "foreign Referer, correct token": (identity.csrf, "referer"),
            }
            for case, (token, origin) in cases.items():
                use(client, identity)
                if origin == "referer":
                    client.headers["referer"] = FOREIGN_ORIGIN + "/page"
                    response = send(client, route, path, token)
                    del client.headers["referer"]
                else:
                    response = send(client, route, path, token, origin)
                calls += 1
                after = table_checksums(clean_engine)
                changed = changed_tables(before, after)
                before = after
                if changed:
                    changes += 1
                if not rejected_by_csrf(response) or changed:
                    failures.append(
                        f"{route.label} as {identity.name}, {case}: {response.status_code}"
                        + (f", changed {changed}" if changed else "")
                    )
    with capsys.disabled():
        print(
            f"\nCSRF: {len(routes)} unsafe routes, {calls} refused-token calls "
            f"(missing, wrong, other session's, foreign Origin, foreign Referer); "
            f"failures: {len(failures)}; calls that changed the database: {changes}"
        )
        for failure in failures:
            print("  " + failure)
    assert routes and not failures


def test_a_valid_token_from_the_same_origin_passes_csrf(
    app: Litestar,
    client: TestClient[Any],
    world: World,
    session_factory: sessionmaker[Session],
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
) -> None:
    refused = []
    routes = unsafe_routes(app)
    for route in routes:
        path = route.fill(own_values(route, world))
        for identity in admitted(route, world, session_factory, settings):
            use(client, identity)
            response = send(client, route, path, identity.csrf, "http://testserver.local")
            if rejected_by_csrf(response):
                refused.append(f"{route.label} as {identity.name}: {response.status_code} {response.text[:120]!r}")
    with capsys.disabled():
        print(f"\nCSRF: {len(routes)} unsafe routes accept a valid same-origin token; refused: {len(refused)}")
    assert not refused, "\n".join(refused)


def test_bearer_calls_without_a_session_are_not_csrf_checked(
    app: Litestar, client: TestClient[Any], world: World, session_factory: sessionmaker[Session]
) -> None:
    """Scripts with a token carry no ambient credential a foreign page could ride on."""
    with session_factory() as db:
        secret, _ = create_api_token(
            db, user_id=world.ids["admin"], name="all", scopes=list(TOKEN_SCOPES), created_by_id=None
        )
        db.commit()
    checked = 0
    for route in unsafe_routes(app):
        if "sessions_only" in route.guard_names or not route.path.startswith("/api/"):
            continue  # pages refuse tokens outright (sessions_only); their 403 is not CSRF's
        client.cookies.clear()
        path = route.fill(own_values(route, world))
        response = client.request(
            route.method, path, json={}, headers={"Authorization": f"Bearer {secret}"}, follow_redirects=False
        )
        checked += 1
        assert not rejected_by_csrf(response), f"{route.label}: {response.status_code} {response.text[:200]}"
    assert checked >= 1


def test_a_bearer_token_beside_a_session_cookie_does_not_skip_csrf(
    app: Litestar,
    client: TestClient[Any],
    world: World,
    session_factory: sessionmaker[Session],
    settings: Settings,
    clean_engine: sa.Engine,
) -> None:
    """A browser that holds a session cookie is CSRF-checked even if a token is added to the request."""
    with session_factory() as db:
        secret, _ = create_api_token(db, user_id=world.ids["admin"], name="a", scopes=["admin"], created_by_id=None)
        db.commit()
    routes = [r for r in unsafe_routes(app) if r.path.startswith("/api/") and not r.is_public]
    identity = session_identity(session_factory, settings, world.ids["admin"], "admin")
    before = table_checksums(clean_engine)
    for route in routes:
        use(client, identity)
        path = route.fill(own_values(route, world))
        response = client.request(
            route.method, path, json={}, headers={"Authorization": f"Bearer {secret}"}, follow_redirects=False
        )
        assert rejected_by_csrf(response), route.label
    assert changed_tables(before, table_checksums(clean_engine)) == []


def test_an_api_client_signs_in_with_json_alone(client: TestClient[Any], session: Session) -> None:
    """GET /api/v1/auth/csrf hands out the token the JSON login needs, bound to this client's own cookie:
    no HTML page is involved, another client's token is refused, and the login itself stays CSRF-checked."""
    from tests.security_helpers import DEFAULT_PASSWORD

    make_user(session, Role.VOLUNTEER, username="script-user")
    body = {"username": "script-user", "password": DEFAULT_PASSWORD}
    assert client.post("/api/v1/auth/login", json=body).status_code == 403  # no token: refused as before
    handed = client.get("/api/v1/auth/csrf")
    assert handed.status_code == 200 and handed.headers["cache-control"] == "no-store"
    token = handed.json()["csrf_token"]
    assert handed.json()["header"] == "X-CSRF-Token"
    stranger = client.cookies.get("csrf")
    client.cookies.clear()
    client.get("/api/v1/auth/csrf")  # another client (another cookie): the first token is not theirs
    assert client.cookies.get("csrf") != stranger
    assert client.post("/api/v1/auth/login", json=body, headers={"X-CSRF-Token": token}).status_code == 403
    fresh = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    signed_in = client.post("/api/v1/auth/login", json=body, headers={"X-CSRF-Token": fresh})
    assert signed_in.status_code == 200 and signed_in.json()["user"]["username"] == "script-user"
    # Signed in, the endpoint hands out the session-bound token the next cookie-authenticated call needs.
    after = client.get("/api/v1/auth/csrf").json()["csrf_token"]
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": after}).status_code == 200
