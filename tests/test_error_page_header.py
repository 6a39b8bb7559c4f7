"""An error page shows the same header as every page: a signed-in reader sees their name and menu (notifications,
account, sign out, their role's links), an anonymous one the sign-in links.

Found on a newcomer's walk: a mistyped address (an address no route serves, so the authentication middleware
never ran) answered with an anonymous header, as if the reader had been signed out; so did a form refused for
its expired token. The exception handler now reads who is asking (never the template), both for an address no
route serves and for a request a middleware refused.
"""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.security.sessions import SESSION_COOKIE
from tests.security_helpers import sign_in_as

# Each answered by the error page: an address nothing serves, a number no route takes, a project that does not
# exist (refused by its handler), bad list filters (400, by the handler) and a form sent without its token (403,
# by the CSRF middleware).
REQUESTS = [
    ("GET", "/no-such-page", 404),
    ("GET", "/projects/not-a-number", 404),
    ("GET", "/projects/2147480000", 404),
    ("GET", "/needs?status=no-such-status", 400),
    ("GET", "/offers?page=zero", 400),
    ("POST", "/account/no-such-form", 404),
    ("POST", "/logout", 403),
]


def _menu(page: str) -> bool:
    return 'class="user-menu"' in page and 'action="/logout"' in page


def _answer(client: TestClient[Any], method: str, path: str) -> Any:
    return client.request(method, path, data={"x": "1"} if method == "POST" else None, follow_redirects=False)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_signed_in_reader_sees_their_name_and_menu_on_every_error_page(
    client: TestClient[Any], session: Session, locale: str
) -> None:
    user = sign_in_as(client, session, Role.STAFF, display_name="王网格员")
    client.cookies.set("lang", locale)
    for method, path, status in REQUESTS:
        answer = _answer(client, method, path)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text[:300])
        page = answer.text
        assert _menu(page), f"{method} {path}: no user menu on the {status} page"
        assert user.display_name in page, (method, path)
        assert 'href="/register"' not in page, (method, path)
        # The sign-out form carries the session's token, so it works from the error page too.
        token = page.split('action="/logout"', 1)[1].split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        assert len(token) == 64, (method, path, token)


def test_signing_out_from_an_unknown_address_works(client: TestClient[Any], session: Session) -> None:
    sign_in_as(client, session, Role.STAFF)
    page = client.get("/no-such-page").text
    token = page.split('action="/logout"', 1)[1].split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    out = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code in (302, 303), out.text[:300]
    assert not _menu(client.get("/no-such-page").text)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_an_anonymous_reader_sees_the_sign_in_links_on_every_error_page(client: TestClient[Any], locale: str) -> None:
    client.cookies.set("lang", locale)
    for method, path, status in [("GET", "/no-such-page", 404), ("GET", "/projects/2147480000", 404)]:
        answer = _answer(client, method, path)
        assert answer.status_code == status, (method, path, answer.status_code)
        assert not _menu(answer.text), (method, path)
        assert 'href="/login"' in answer.text, (method, path)


def test_a_stale_or_unknown_session_cookie_is_anonymous_on_an_error_page(client: TestClient[Any]) -> None:
    client.cookies.set(SESSION_COOKIE, "not-a-session-anyone-has")
    answer = client.get("/no-such-page")
    assert answer.status_code == 404
    assert not _menu(answer.text)
