"""A status badge keeps its distance from the link beside it in Chinese too: a newcomer found "已完成" flush
against "我的班次" on a shift (Chinese puts no space between words, so the gap is the badge's own). Measured in
real Chromium with the site's stylesheets, in both languages, on a phone and a desktop."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS

# As templates/matches/take_part.html writes it: the badge, word_gap() (nothing in Chinese), the link.
FRAGMENTS = {
    "zh_CN": '<p id="probe"><span class="status-tag take-part-status">已完成</span><a href="/signups">我的班次</a></p>',
    "en": '<p id="probe"><span class="status-tag take-part-status">Completed</span> '
    '<a href="/signups">My shifts</a></p>',
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_badge_and_the_link_beside_it_do_not_touch(
    browser: Any, demo_server: LiveServer, locale: str, viewport: dict[str, int]
) -> None:
    page = signed_in(browser, demo_server.base_url, "volunteer", locale=locale, viewport=viewport)
    page.goto(f"{demo_server.base_url}/signups")
    page.evaluate("html => document.querySelector('main').insertAdjacentHTML('afterbegin', html)", FRAGMENTS[locale])
    gap = page.evaluate(
        "() => document.querySelector('#probe a').getBoundingClientRect().left"
        " - document.querySelector('#probe .status-tag').getBoundingClientRect().right"
    )
    page.context.close()
    assert gap >= 4, f"{gap:.1f} px between the badge and the link"
