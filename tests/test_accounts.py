"""Sign in and out through the pages and the JSON API; the registration chooser; one's own account."""

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.credentials import UserSession
from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import verify_password
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.settings import Settings
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    audit_actions,
    audit_events,
    csrf_for,
    csrf_from,
    fetch,
    login,
    make_user,
    post_form,
    reading,
    sign_in_as,
)


def test_login_page_form_signs_in_and_goes_to_next(client: TestClient[Litestar], session: Session) -> None:
    user = make_user(session, Role.VOLUNTEER, username="xiaoli")
    page = client.get("/login")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text and 'name="username"' in page.text
    response = login(client, "xiaoli", DEFAULT_PASSWORD, next_url="/account")
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    assert client.cookies.get(SESSION_COOKIE)
    assert fetch(session, User, user.id).last_login_at is not None
    assert audit_actions(session) == ["auth.login"]
    me = client.get("/account")
    assert me.status_code == 200 and "xiaoli" in me.text


def test_unsafe_next_goes_home(client: TestClient[Litestar], session: Session) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        client.cookies.clear()
        response = login(client, "xiaoli", DEFAULT_PASSWORD, next_url=target)
        assert response.headers["location"] == "/"


def test_wrong_password_and_unknown_user_get_the_same_answer(client: TestClient[Litestar], session: Session) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")
    wrong = login(client, "xiaoli", "not the password")
    unknown = login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert client.cookies.get(SESSION_COOKIE) is None
    strip = lambda text: text.replace("xiaoli", "").replace("nobody", "")  # noqa: E731
    assert strip(csrf_free(wrong.text)) == strip(csrf_free(unknown.text))
    assert audit_actions(session) == ["auth.login_failed", "auth.login_failed"]
    rows = audit_events(session)
    assert [row.after for row in rows] == [{"username": "xiaoli"}, {"username": "nobody"}]
    assert all("password" not in str(row.after) for row in rows)


def csrf_free(text: str) -> str:
    import re

    return re.sub(r"[0-9a-f]{64}", "", text)


def test_disabled_account_cannot_sign_in(client: TestClient[Litestar], session: Session) -> None:
    make_user(session, Role.PARTNER, username="wang", is_active=False)
    response = login(client, "wang", DEFAULT_PASSWORD)
    assert response.status_code == 401
    assert client.cookies.get(SESSION_COOKIE) is None


def test_logout_revokes_the_session(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    sign_in_as(client, session, Role.VOLUNTEER, username="xiaoli")
    old_cookie = client.cookies.get(SESSION_COOKIE)
    response = post_form(client, settings, "/logout")
    assert response.status_code == 303
    assert 'session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    # The old cookie is dead on the server, even if a client keeps sending it.
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, old_cookie)  # type: ignore[arg-type]
    assert client.get("/account", follow_redirects=False).status_code == 303
    assert client.get("/api/v1/auth/me").status_code == 401
    assert audit_actions(session) == ["auth.login", "auth.logout"]


def test_json_login_me_logout(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    user = make_user(session, Role.STAFF, username="zhou")
    token = csrf_for(client, settings)
    bad = client.post(
        "/api/v1/auth/login", json={"username": "zhou", "password": "wrong one"}, headers={"X-CSRF-Token": token}
    )
    assert bad.status_code == 401
    assert bad.json()["detail"]
    response = client.post(
        "/api/v1/auth/login", json={"username": "ZHOU", "password": DEFAULT_PASSWORD}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 200, response.text
    assert response.json()["user"]["id"] == user.id
    assert response.json()["user"]["role"] == "staff"
    assert client.cookies.get(SESSION_COOKIE)
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200 and me.json()["user"]["username"] == "zhou"
    out = client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf_for(client, settings)})
    assert out.status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401


def test_json_login_validation(client: TestClient[Litestar], settings: Settings) -> None:
    token = csrf_for(client, settings)
    response = client.post("/api/v1/auth/login", json={"username": ""}, headers={"X-CSRF-Token": token})
    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"username", "password"} <= fields


def test_register_chooser(client: TestClient[Litestar]) -> None:
    page = client.get("/register")
    assert page.status_code == 200
    assert 'href="/register/volunteer"' in page.text
    assert 'href="/register/organization"' in page.text
    client.cookies.set("lang", "en")
    page = client.get("/register")
    assert "I am a volunteer" in page.text and "Register my organization" in page.text


def test_header_shows_role_links(client: TestClient[Litestar], session: Session) -> None:
    anonymous = client.get("/register").text
    assert 'href="/login"' in anonymous and 'action="/logout"' not in anonymous
    sign_in_as(client, session, Role.ADMIN, display_name="街道管理员")
    page = client.get("/register").text
    assert "街道管理员" in page
    for href in ("/admin", "/admin/users", "/admin/organizations", "/account"):
        assert f'href="{href}"' in page
    assert 'action="/logout"' in page
    # htmx gets the CSRF token from <body hx-headers='...'>, which must be valid JSON.
    import html
    import json
    import re

    attribute = re.search(r"<body hx-headers='([^']*)'", page)
    assert attribute
    assert json.loads(html.unescape(attribute.group(1)))["X-CSRF-Token"] == csrf_from(page)


def test_partner_and_volunteer_links(client: TestClient[Litestar], session: Session) -> None:
    sign_in_as(client, session, Role.PARTNER)
    page = client.get("/register").text
    assert 'href="/organization"' in page and 'href="/admin/users"' not in page
    client.cookies.clear()
    sign_in_as(client, session, Role.VOLUNTEER)
    page = client.get("/register").text
    assert 'href="/volunteer/profile"' in page and 'href="/organization"' not in page


def test_anonymous_account_page_redirects_to_login(client: TestClient[Litestar]) -> None:
    response = client.get("/account", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_profile_update_is_audited(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    user = sign_in_as(client, session, Role.VOLUNTEER, phone=None)
    response = post_form(
        client,
        settings,
        "/account",
        {"display_name": "小李", "phone": "13912345678", "email": "", "preferred_locale": "en"},
    )
    assert response.status_code == 303, response.text
    row = fetch(session, User, user.id)
    assert row and row.display_name == "小李" and row.phone == "13912345678" and row.preferred_locale == "en"
    (event,) = audit_events(session, "user.profile_update")
    assert event.after == {"display_name": "小李", "phone": "13912345678", "preferred_locale": "en"}
    bad = post_form(client, settings, "/account", {"display_name": "小李", "email": "not-an-email"})
    assert bad.status_code == 400 and "field-error" in bad.text


def test_change_password_ends_other_sessions(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    user = sign_in_as(client, session, Role.VOLUNTEER, username="xiaoli")
    with TestClient(app=app) as other:
        assert login(other, "xiaoli", DEFAULT_PASSWORD).status_code == 303
        assert other.get("/api/v1/auth/me").status_code == 200
        wrong = post_form(
            client,
            settings,
            "/account/password",
            {
                "current_password": "nope nope",
                "new_password": "a brand new secret",
                "confirm_password": "a brand new secret",
            },
        )
        assert wrong.status_code == 400 and "current_password-error" in wrong.text
        common = post_form(
            client,
            settings,
            "/account/password",
            {"current_password": DEFAULT_PASSWORD, "new_password": "woaini1314", "confirm_password": "woaini1314"},
        )
        assert common.status_code == 400 and "new_password-error" in common.text
        response = post_form(
            client,
            settings,
            "/account/password",
            {
                "current_password": DEFAULT_PASSWORD,
                "new_password": "a brand new secret",
                "confirm_password": "a brand new secret",
            },
        )
        assert response.status_code == 303
        assert other.get("/api/v1/auth/me").status_code == 401  # the other session is dead
        assert client.get("/api/v1/auth/me").status_code == 200  # this one lives on
    assert verify_password(fetch(session, User, user.id).password_hash, "a brand new secret")
    assert audit_actions(session).count("auth.password_changed") == 1


def test_sign_out_other_sessions(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.STAFF, username="zhou")
    with TestClient(app=app) as other:
        login(other, "zhou", DEFAULT_PASSWORD)
        page = client.get("/account")
        assert "Sign out other sessions" in page.text or "退出其他" in page.text
        assert post_form(client, settings, "/account/sessions/end-others").status_code == 303
        assert other.get("/api/v1/auth/me").status_code == 401
        assert client.get("/api/v1/auth/me").status_code == 200
    with reading(session) as fresh:
        live = fresh.execute(
            sa.select(sa.func.count()).select_from(UserSession).where(UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
        ).scalar_one()
    assert live == 1


def test_outdated_hash_is_upgraded_at_login(client: TestClient[Litestar], session: Session) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192).hash(DEFAULT_PASSWORD)
    user = make_user(session, Role.VOLUNTEER, username="xiaoli")
    with reading(session) as fresh:
        fresh.execute(sa.update(User).where(User.id == user.id).values(password_hash=weak))  # type: ignore[arg-type]
        fresh.commit()
    assert login(client, "xiaoli", DEFAULT_PASSWORD).status_code == 303
    upgraded = fetch(session, User, user.id).password_hash
    assert upgraded != weak and verify_password(upgraded, DEFAULT_PASSWORD)


def test_unknown_users_cost_one_verification_of_the_same_cost(client: TestClient[Litestar], settings: Settings) -> None:
    """An unknown username is checked against a dummy hash of the same argon2 cost, so timing does not tell.

    (Compared by the hash parameters, not by a stopwatch: timings on a shared machine prove nothing.)
    """
    from argon2 import extract_parameters

    from marketplace.accounts.passwords import hash_password
    from marketplace.accounts.services import _dummy_hash

    token = csrf_for(client, settings)
    response = client.post(
        "/api/v1/auth/login", json={"username": "nobody", "password": "wrong guess"}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 401
    assert extract_parameters(_dummy_hash()) == extract_parameters(hash_password("a real password"))
