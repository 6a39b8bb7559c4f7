"""The header on a phone is one row with a menu button; the menu opens the account links, the language switch
and every workspace as 44 px rows; on a desktop everything shows as before. In a real Chromium against the
demo server, as each role, in both languages."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS

SHOTS = Path(os.environ.get("HEADER_SHOTS_DIR", "/tmp/shots/header"))
NARROW = {"width": 360, "height": 780}
# The workspaces each role's menu must offer (the public board and figures are everyone's).
WORKSPACES = {
    "admin": ["/review", "/rounds", "/needs", "/escalations", "/admin"],
    "staff": ["/needs", "/escalations", "/volunteers"],
    "partner": ["/claims", "/offers", "/organization"],
    "volunteer": ["/recommended", "/signups", "/volunteer/hours"],
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _header_height(page: Any) -> int:
    return int(page.evaluate("document.querySelector('.site-header').offsetHeight"))


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


@pytest.mark.parametrize("username", sorted(WORKSPACES))
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_each_role_reaches_every_workspace_from_the_phone_menu(
    browser: Any, demo_server: LiveServer, username: str, locale: str
) -> None:
    base = demo_server.base_url
    page = signed_in(browser, base, username, locale=locale, viewport=PHONE)
    page.goto(f"{base}/")
    # Closed: one row, the navigation hidden, the unread count still in sight.
    assert _header_height(page) <= 80
    assert not page.locator("#site-menu-nav").is_visible()
    toggle = page.locator(".menu-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert toggle.bounding_box()["height"] >= 44
    assert page.locator(".header-bell").is_visible()

    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    nav = page.locator("#site-menu-nav")
    assert nav.is_visible()
    for href in ["/", "/figures", *WORKSPACES[username]]:
        link = nav.locator(f'a[href="{href}"]')
        assert link.is_visible(), href
        assert link.bounding_box()["height"] >= 44, href
    assert page.locator("#site-menu-tools .lang-switch").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"menu-{username}-{locale}-390.png"))

    page.set_viewport_size(NARROW)
    assert _fits(page)
    page.keyboard.press("Escape")
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not nav.is_visible()

    # The menu's links lead where they say.
    toggle.click()
    with page.expect_navigation():
        nav.locator(f'a[href="{WORKSPACES[username][0]}"]').click()
    assert page.url.endswith(WORKSPACES[username][0])
    page.context.close()


def test_the_desktop_header_shows_everything_without_a_menu_button(browser: Any, demo_server: LiveServer) -> None:
    base = demo_server.base_url
    page = signed_in(browser, base, "admin", locale="en", viewport=DESKTOP)
    page.goto(f"{base}/")
    assert not page.locator(".menu-toggle").is_visible()
    assert not page.locator(".header-bell").is_visible()
    for href in WORKSPACES["admin"]:
        assert page.locator(f'#site-menu-nav a[href="{href}"]').is_visible(), href
    page.context.close()


def test_an_anonymous_visitor_signs_in_from_the_phone_menu(browser: Any, demo_server: LiveServer) -> None:
    base = demo_server.base_url
    context = browser.new_context(locale="en-US", viewport=PHONE)
    page = context.new_page()
    page.goto(f"{base}/lang/en?next=/")
    assert _header_height(page) <= 80
    assert page.locator(".header-bell").count() == 0
    page.locator(".menu-toggle").click()
    with page.expect_navigation():
        page.locator('#site-menu-tools a[href="/login"]').click()
    assert "/login" in page.url
    context.close()
