"""Sessions: a new id at every login (no fixation), cookie flags, and every way an old cookie dies.

Figures (asserted): the session secret before and after login differ (an attacker's planted cookie,
and two logins of the same user, never share a secret); the old cookie answers 401 after logout, after
the account is disabled, after an admin's "end all sessions", after a password change (other sessions),
after idle expiry and after absolute expiry; a disabled user's bearer token stops working.
"""

import dataclasses
from datetime import timedelta

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.credentials import UserSession
from marketplace.accounts.models import Role
from marketplace.app import create_app
from marketplace.db.types import utcnow
from marketplace.security.secrets import digest
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login, make_user, post_form, reading, sign_in_as


def me_status(app: Litestar, cookie: str) -> int:
    """What the server says about a cookie, asked by a fresh client that holds only that cookie."""
    with TestClient(app=app, base_url="http://testserver.local") as other:
        other.cookies.set(SESSION_COOKIE, cookie)
        return other.get("/api/v1/auth/me").status_code


def test_planted_cookie_is_not_the_session_after_login(
    client: TestClient[Litestar], app: Litestar, session: Session
) -> None:
    make_user(session, Role.VOLUNTEER, username="victim")
    attacker = make_user(session, Role.VOLUNTEER, username="attacker")
    # The attacker signs in as themself and plants their own live cookie in the victim's browser.
    with TestClient(app=app, base_url="http://testserver.local") as evil:
        login(evil, "attacker", DEFAULT_PASSWORD)
        planted = evil.cookies.get(SESSION_COOKIE)
    assert planted
    client.cookies.set(SESSION_COOKIE, planted, domain="testserver.local")
    assert login(client, "victim", DEFAULT_PASSWORD).status_code == 303
    after = client.cookies.get(SESSION_COOKIE)
    assert after and after != planted
    # The planted cookie still belongs to the attacker: it never became the victim's session.
    with TestClient(app=app, base_url="http://testserver.local") as evil:
        evil.cookies.set(SESSION_COOKIE, planted)
        assert evil.get("/api/v1/auth/me").json()["user"]["id"] == attacker.id
    # A made-up cookie is nobody, and is replaced at login too.
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-value", domain="testserver.local")
    login(client, "victim", DEFAULT_PASSWORD)
    assert client.cookies.get(SESSION_COOKIE) not in (None, "attacker-chosen-value")
    assert me_status(app, "attacker-chosen-value") == 401


def test_each_login_gets_a_new_session_id(client: TestClient[Litestar], session: Session) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")
    login(client, "xiaoli", DEFAULT_PASSWORD)
    first = client.cookies.get(SESSION_COOKIE)
    login(client, "xiaoli", DEFAULT_PASSWORD)
    second = client.cookies.get(SESSION_COOKIE)
    assert first and second and first != second
    with reading(session) as fresh:
        rows = fresh.execute(sa.select(UserSession).order_by(UserSession.id)).scalars().all()
    assert [row.token_hash for row in rows] == [digest(first), digest(second)]
    # Only a digest is stored.
    assert all(first not in row.token_hash and second not in row.token_hash for row in rows)


def test_cookie_flags(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")
    header = login(client, "xiaoli", DEFAULT_PASSWORD).headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=lax" in header and "path=/" in header
    assert "secure" not in header.replace("samesite", "")
    secure_app = create_app(dataclasses.replace(settings, secure_cookies=True))
    with TestClient(app=secure_app, base_url="https://testserver.local") as secure_client:
        header = login(secure_client, "xiaoli", DEFAULT_PASSWORD).headers["set-cookie"].lower()
    assert "secure" in header and "httponly" in header and "samesite=lax" in header


def test_old_cookie_dead_after_logout(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.PARTNER)
    cookie = client.cookies.get(SESSION_COOKIE)
    assert cookie and me_status(app, cookie) == 200
    post_form(client, settings, "/logout")
    assert me_status(app, cookie) == 401


def test_old_cookie_and_token_dead_after_disable(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    victim = make_user(session, Role.STAFF, username="zhou")
    with TestClient(app=app, base_url="http://testserver.local") as theirs:
        login(theirs, "zhou", DEFAULT_PASSWORD)
        cookie = theirs.cookies.get(SESSION_COOKIE)
    with reading(session) as fresh:
        secret, _ = create_api_token(fresh, user_id=victim.id, name="script", scopes=["needs:read"], created_by_id=None)
        fresh.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert cookie and me_status(app, cookie) == 200
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 200
    sign_in_as(client, session, Role.ADMIN)
    assert post_form(client, settings, f"/admin/users/{victim.id}/disable").status_code == 303
    assert me_status(app, cookie) == 401
    client.cookies.clear()
    assert client.get("/api/v1/auth/me", headers=bearer).status_code == 401
    assert login(client, "zhou", DEFAULT_PASSWORD).status_code == 401


def test_old_cookie_dead_after_end_all_sessions(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    victim = make_user(session, Role.VOLUNTEER, username="xiaoli")
    cookies = []
    for _ in range(2):
        with TestClient(app=app, base_url="http://testserver.local") as theirs:
            login(theirs, "xiaoli", DEFAULT_PASSWORD)
            cookies.append(theirs.cookies.get(SESSION_COOKIE))
    assert [me_status(app, c) for c in cookies] == [200, 200]
    sign_in_as(client, session, Role.ADMIN)
    assert post_form(client, settings, f"/admin/users/{victim.id}/end-sessions").status_code == 303
    assert [me_status(app, c) for c in cookies] == [401, 401]
    # The account itself still works: a new login gets a new session.
    with TestClient(app=app, base_url="http://testserver.local") as theirs:
        assert login(theirs, "xiaoli", DEFAULT_PASSWORD).status_code == 303


def test_idle_and_absolute_expiry(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")
    login(client, "xiaoli", DEFAULT_PASSWORD)
    idle_cookie = client.cookies.get(SESSION_COOKIE)
    login(client, "xiaoli", DEFAULT_PASSWORD)
    absolute_cookie = client.cookies.get(SESSION_COOKIE)
    assert idle_cookie and absolute_cookie
    assert me_status(app, idle_cookie) == me_status(app, absolute_cookie) == 200
    now = utcnow()
    with session.get_bind().begin() as connection:  # type: ignore[union-attr]
        # Idle: last seen longer ago than the idle lifetime (the absolute one has not run out).
        connection.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == digest(idle_cookie))
            .values(last_seen_at=now - timedelta(minutes=settings.session_idle_minutes + 1))
        )
        # Absolute: created long ago, expired a minute ago, though active just now.
        connection.execute(
            sa.update(UserSession)
            .where(UserSession.token_hash == digest(absolute_cookie))
            .values(
                created_at=now - timedelta(hours=settings.session_absolute_hours, minutes=1),
                expires_at=now - timedelta(minutes=1),
                last_seen_at=now,
            )
        )
    assert me_status(app, idle_cookie) == 401
    assert me_status(app, absolute_cookie) == 401
    assert client.get("/account", follow_redirects=False).headers["location"].startswith("/login")


def test_tiny_lifetimes_from_settings(settings: Settings, session: Session) -> None:
    """Lifetimes come from the settings: with a 0-minute idle lifetime, a session is dead at once."""
    make_user(session, Role.VOLUNTEER, username="xiaoli")
    short = create_app(dataclasses.replace(settings, session_idle_minutes=0))
    with TestClient(app=short, base_url="http://testserver.local") as client:
        assert login(client, "xiaoli", DEFAULT_PASSWORD).status_code == 303
        assert client.get("/api/v1/auth/me").status_code == 401
