"""The account page names where one is signed in as a person reads it.

"Where you are signed in" listed raw User-Agent headers cut at 60 characters ("Mozilla/5.0 (X11; Linux x86_64)
AppleWebKit/537.36 (KHTML, l"), so nobody could tell their phone from their desktop before signing one out.
Each session now reads "Chrome 131 · Linux", "WeChat Browser 8 · iPhone" (the full header in its tooltip); a
header no rule names (a script) is shown as it is, and none at all as "Unknown device".
"""

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.devices import device_name
from marketplace.accounts.models import Role
from tests.security_helpers import DEFAULT_PASSWORD, login, make_user

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1 MicroMessenger/8.0.50"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36"
)


def test_headers_read_as_browser_and_device() -> None:
    assert device_name(DESKTOP) == "Chrome 131 · Linux"
    assert device_name(PHONE) == "WeChat Browser 8 · iPhone"
    assert device_name(ANDROID).startswith("Chrome Mobile 131 · ")
    assert device_name("python-httpx/0.28.1") == "python-httpx/0.28.1"  # no rule names it: shown as it is
    assert device_name("x" * 300) == "x" * 60
    assert device_name(None) == device_name("  ") == ""


def test_the_account_page_lists_each_session_by_device(
    app: Litestar, client: TestClient[Any], session: Session
) -> None:
    user = make_user(session, Role.VOLUNTEER)
    client.headers["user-agent"] = DESKTOP
    assert login(client, user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    with TestClient(app=app) as phone:
        phone.headers["user-agent"] = PHONE
        assert login(phone, user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    client.cookies.set("lang", "en")
    page = client.get("/account")
    assert page.status_code == 200
    assert ">Chrome 131 · Linux</span>" in page.text and ">WeChat Browser 8 · iPhone</span>" in page.text
    assert f'title="{DESKTOP}"' in page.text  # the full header is one hover away
    assert "(KHTML, l<" not in page.text  # no header cut mid-word
