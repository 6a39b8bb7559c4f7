"""A real browser (Debian's Chromium) opens the board and switches to English."""

from collections.abc import Iterator

import pytest

from tests.browser import BROWSER_MARKS, launch_chromium
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    yield from launch_chromium()


def test_board_opens_in_chinese_and_switches_to_english(browser, demo_server: LiveServer) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(demo_server.base_url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "湖岛" in page.content()

    page.locator(".menu-toggle").click()  # on a phone the language switch is in the header's menu
    page.get_by_role("link", name="English").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Hudao" in page.content()

    # The choice persists: a new visit to another page stays in English.
    page.goto(demo_server.base_url + "/figures")
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()
