"""API tokens: created by admins in /admin/tokens, shown once, stored hashed, scoped, revocable;
a token authenticates the JSON API with Authorization: Bearer and never opens the admin pages."""

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import ApiToken
from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.security_helpers import make_user
from tests.security_world import Identity, session_identity, use

SECRET = re.compile(r"rpm_[A-Za-z0-9_\-]{20,}")


def _admin(client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings):
    admin = make_user(session, Role.ADMIN, username="root")
    identity = session_identity(session_factory, settings, admin)
    use(client, identity)
    return admin, identity


def _create(client: TestClient[Any], identity: Identity, **fields: Any) -> Any:
    data = {"csrf_token": identity.csrf, "name": "12345 hotline", "scopes": ["needs:write", "needs:read"]} | fields
    return client.post("/admin/tokens", data=data, follow_redirects=False)


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_admin_creates_a_token_shown_once_and_stored_hashed(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _, identity = _admin(client, session, session_factory, settings)
    hotline = make_user(session, Role.STAFF, username="hotline")
    page = client.get("/admin/tokens")
    assert page.status_code == 200
    for scope in ("needs:write", "needs:read", "admin"):
        assert f'value="{scope}"' in page.text

    created = _create(client, identity, user="hotline", expires_days="30")
    assert created.status_code == 303, created.text  # the secret is shown on the page it leads to, once
    response = client.get(created.headers["location"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    secrets = set(SECRET.findall(response.text))
    assert len(secrets) == 1
    secret = secrets.pop()

    with session_factory() as db:
        row = db.execute(sa.select(ApiToken)).scalar_one()
        assert row.user_id == hotline.id and row.scopes == "needs:read needs:write"
        assert row.token_hash != secret and secret not in row.token_hash and secret.startswith(row.prefix)
        assert row.expires_at is not None and timedelta(days=29) < row.expires_at - utcnow() <= timedelta(days=30)
        event = db.execute(sa.select(AuditEvent).where(AuditEvent.action == "token.create")).scalar_one()
        assert event.object_id == row.id and event.actor_role == "admin"
        assert secret not in str(event.before) + str(event.after)
        assert event.after and event.after["scopes"] == "needs:read needs:write"

    # Shown once: the list afterwards has the prefix, never the secret.
    listing = client.get("/admin/tokens")
    assert secret not in listing.text and row.prefix in listing.text and "hotline" in listing.text

    client.cookies.clear()
    me = client.get("/api/v1/tokens/me", headers=_bearer(secret))
    assert me.status_code == 200
    assert me.json() == {
        "user": {"id": hotline.id, "username": "hotline", "role": "staff"},
        "method": "token",
        "token_id": row.id,
        "scopes": ["needs:read", "needs:write"],
    }


def test_bad_token_requests_name_the_field_and_write_nothing(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    _, identity = _admin(client, session, session_factory, settings)
    make_user(session, Role.VOLUNTEER, username="gone", is_active=False)
    cases = [
        ({"user": "nobody"}, "No such user"),
        ({"user": "gone"}, "This account is disabled"),
        ({"user": "root", "name": "  "}, "Give the token a name"),
        ({"user": "root", "scopes": []}, "Choose at least one scope"),
        ({"user": "root", "scopes": ["root:everything"]}, "Unknown scope"),
        ({"user": "root", "expires_days": "0"}, "Between 1 and 3650 days"),
        ({"user": "root", "expires_days": "soon"}, "A whole number of days"),
    ]
    client.cookies.set("lang", "en")
    for fields, message in cases:
        response = _create(client, identity, **fields)
        assert response.status_code == 400, fields
        assert message in response.text, (fields, response.text[:500])
        assert not SECRET.search(response.text)
    with session_factory() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one() == 0
        assert db.execute(sa.select(sa.func.count()).select_from(AuditEvent)).scalar_one() == 0


def test_revoked_and_expired_tokens_are_refused(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    admin, identity = _admin(client, session, session_factory, settings)
    with session_factory() as db:
        live, live_row = create_api_token(db, user_id=admin.id, name="a", scopes=["admin"], created_by_id=admin.id)
        old, _ = create_api_token(
            db,
            user_id=admin.id,
            name="b",
            scopes=["admin"],
            created_by_id=admin.id,
            expires_at=utcnow() - timedelta(seconds=1),
        )
        db.commit()
        live_id = live_row.id
    assert client.get("/api/v1/tokens/me", headers=_bearer(live)).status_code == 200
    client.cookies.clear()
    assert client.get("/api/v1/tokens/me", headers=_bearer(old)).status_code == 401
    assert client.get("/api/v1/tokens/me", headers=_bearer("rpm_not-a-token")).status_code == 401

    use(client, identity)
    response = client.post(
        f"/admin/tokens/{live_id}/revoke", data={"csrf_token": identity.csrf}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/tokens"
    client.cookies.clear()
    assert client.get("/api/v1/tokens/me", headers=_bearer(live)).status_code == 401

    use(client, identity)
    again = client.post(f"/admin/tokens/{live_id}/revoke", data={"csrf_token": identity.csrf}, follow_redirects=False)
    assert again.status_code == 404
    with session_factory() as db:
        events = db.execute(sa.select(AuditEvent).where(AuditEvent.action == "token.revoke")).scalars().all()
        assert len(events) == 1 and events[0].object_id == live_id and events[0].actor_id == admin.id
        assert live not in str(events[0].after)
    client.cookies.set("lang", "en")
    assert "Revoked" in client.get("/admin/tokens").text


def test_scopes_and_roles_both_limit_a_token(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    admin = make_user(session, Role.ADMIN)
    staff = make_user(session, Role.STAFF)
    with session_factory() as db:
        admin_scoped, _ = create_api_token(db, user_id=admin.id, name="a", scopes=["admin"], created_by_id=None)
        needs_only, _ = create_api_token(db, user_id=admin.id, name="n", scopes=["needs:read"], created_by_id=None)
        staff_admin, _ = create_api_token(db, user_id=staff.id, name="s", scopes=["admin"], created_by_id=None)
        db.commit()
    assert client.get("/api/v1/audit", headers=_bearer(admin_scoped)).status_code == 200
    lacking = client.get("/api/v1/audit", headers=_bearer(needs_only))
    assert lacking.status_code == 403 and "admin" in lacking.json()["detail"]
    # A scope never lifts a token above its user's role.
    assert client.get("/api/v1/audit", headers=_bearer(staff_admin)).status_code == 403


def test_a_token_never_opens_the_admin_pages(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    """Admin pages are for people with a browser session (sessions_only), whatever the token's scopes."""
    admin = make_user(session, Role.ADMIN)
    with session_factory() as db:
        secret, _ = create_api_token(db, user_id=admin.id, name="a", scopes=["admin"], created_by_id=None)
        db.commit()
    for path in ("/admin", "/admin/tokens", "/admin/audit"):
        assert client.get(path, headers=_bearer(secret)).status_code == 403, path
    # Not even to create another token (no CSRF applies to bearer calls; the guard refuses it).
    response = client.post("/admin/tokens", headers=_bearer(secret), data={"user": "x", "name": "y", "scopes": "admin"})
    assert response.status_code == 403
    with session_factory() as db:
        assert db.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one() == 1


def test_only_admins_manage_tokens(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    admin = make_user(session, Role.ADMIN)
    with session_factory() as db:
        _, row = create_api_token(db, user_id=admin.id, name="a", scopes=["admin"], created_by_id=None)
        db.commit()
        token_id = row.id
    for role in (Role.STAFF, Role.PARTNER, Role.VOLUNTEER):
        identity = session_identity(session_factory, settings, make_user(session, role))
        use(client, identity)
        assert client.get("/admin/tokens").status_code == 403
        revoke = client.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": identity.csrf})
        assert revoke.status_code == 403
    client.cookies.clear()
    assert client.get("/admin/tokens", follow_redirects=False).status_code in (401, 302, 303)
    with session_factory() as db:
        assert db.get(ApiToken, token_id).revoked_at is None  # type: ignore[union-attr]


def test_the_real_form_round_trip_and_the_accounts_api(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """The token rendered in the page's form is accepted; the created token opens GET /api/v1/auth/me."""
    from tests.security_helpers import csrf_from

    _admin(client, session, session_factory, settings)
    make_user(session, Role.STAFF, username="hotline")
    page = client.get("/admin/tokens")
    data = {"csrf_token": csrf_from(page.text), "user": "hotline", "name": "e-home", "scopes": ["needs:read"]}
    created = client.post("/admin/tokens", data=data)
    assert created.status_code == 200
    secret = SECRET.findall(created.text)[0]
    client.cookies.clear()
    me = client.get("/api/v1/auth/me", headers=_bearer(secret))
    assert me.status_code == 200 and "hotline" in me.text


def test_a_disabled_users_token_stops_working(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    user = make_user(session, Role.STAFF)
    with session_factory() as db:
        secret, _ = create_api_token(db, user_id=user.id, name="feed", scopes=["needs:write"], created_by_id=None)
        db.commit()
    assert client.get("/api/v1/tokens/me", headers=_bearer(secret)).status_code == 200
    with session_factory() as db:
        db.execute(sa.update(User).where(User.id == user.id).values(is_active=False))  # type: ignore[arg-type]
        db.commit()
    assert client.get("/api/v1/tokens/me", headers=_bearer(secret)).status_code == 401
