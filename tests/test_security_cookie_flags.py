"""Found by probing a live server: behind HTTPS (``MARKETPLACE_SECURE_COOKIES=true``) the session and CSRF
cookies were Secure but the language cookie was not: it was made apart from them. Every cookie is now made by
one rule (security/cookies.py); this walk collects every Set-Cookie the site answers with, on the way a
person goes (first page, sign-in, language switch, registration, sign-out), and checks each one's flags.
"""

from dataclasses import replace
from http.cookies import SimpleCookie
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.app import create_app
from marketplace.security.csrf import CSRF_COOKIE
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.settings import Settings
from tests.orgs_helpers import make_places
from tests.security_helpers import DEFAULT_PASSWORD, csrf_from, make_user


def _walk(client: TestClient[Any], grid_id: int) -> list[str]:
    """Every Set-Cookie header of a visit: first page, sign-in, language, sign-out, registration."""
    seen: list[str] = []

    def keep(response: Any) -> Any:
        seen.extend(response.headers.get_list("set-cookie"))
        return response

    client.follow_redirects = False
    page = keep(client.get("/login"))
    signed = {"username": "cookie-user", "password": DEFAULT_PASSWORD, "csrf_token": csrf_from(page.text)}
    keep(client.post("/login", data=signed))
    keep(client.get("/lang/en?next=/home"))
    home = keep(client.get("/home"))
    keep(client.post("/logout", data={"csrf_token": csrf_from(home.text)}))
    client.cookies.clear()
    form = keep(client.get("/register/volunteer"))
    keep(
        client.post(
            "/register/volunteer",
            data={
                "csrf_token": csrf_from(form.text),
                "username": "cookie-new",
                "display_name": "新志愿者",
                "phone": "13912345670",
                "password": "a long enough password 26",
                "home_grid_id": str(grid_id),
                "segment": "resident",
                "weekly_hour_cap": "6",
            },
        )
    )
    return seen


def _flags(header: str) -> tuple[str, dict[str, Any]]:
    parsed = SimpleCookie()
    parsed.load(header)
    (name, morsel), *_ = parsed.items()
    return name, {
        "secure": bool(morsel["secure"]),
        "httponly": bool(morsel["httponly"]),
        "samesite": morsel["samesite"],
    }


@pytest.mark.parametrize("secure", [True, False])
def test_every_cookie_the_site_sets_carries_the_same_flags(secure: bool, settings: Settings, session: Session) -> None:
    make_user(session, Role.STAFF, username="cookie-user")
    _street, _communities, grids = make_places(session)
    session.commit()
    app = create_app(replace(settings, secure_cookies=secure))
    scheme = "https" if secure else "http"
    with TestClient(app=app, base_url=f"{scheme}://testserver.local") as client:
        headers = _walk(client, grids[0].id)
    names = {_flags(h)[0] for h in headers}
    assert {SESSION_COOKIE, CSRF_COOKIE, "lang"} <= names, names
    for header in headers:
        name, flags = _flags(header)
        assert flags == {"secure": secure, "httponly": True, "samesite": "lax"}, (name, header)
