"""The review inbox's keyboard hint (j / k, a, r, x) is for a keyboard: a newcomer saw it on a phone-wide
screen, where no key can be pressed. It shows on a desktop and is hidden at a phone's width, touch screen or
not, in both languages (real Chromium on the demo)."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_keys_hint_shows_on_a_desktop_only(browser: Any, demo_server: LiveServer, locale: str) -> None:
    seen = {}
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = signed_in(browser, demo_server.base_url, "admin", locale=locale, viewport=viewport)
        page.goto(f"{demo_server.base_url}/review")
        hint = page.locator(".inbox-keys")
        assert hint.count() == 1
        seen[name] = hint.is_visible()
        page.context.close()
    assert seen == {"desktop": True, "phone": False}
