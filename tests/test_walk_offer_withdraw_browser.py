"""A partner withdraws an offer in Chromium, phone and desktop, Chinese and English: the page says what the
withdrawal will cancel before the partner confirms, and the list says what it did afterwards.

A new offer is proposed by staff for two lines of a need (from the need's recommendations); the partner opens the
offer, opens "Withdraw offer", reads "Withdrawing cancels 2 pending proposals." (撤回将取消2项待定的推荐。), and
only the button inside confirms. Found walking the demo: the page withdrew on the first click and said only that
"the claims and proposals still waiting" would end, not that two proposals of the street were among them.
"""

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer
from tests.test_browser_need_journeys import _record

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _publish_offer(page: Any, base: str, title: str) -> int:
    page.goto(f"{base}/offers/new")
    page.select_option("select[name=kind]", "material")
    page.select_option("select[name=category]", "renovation")
    page.fill("input[name=title]", title)
    page.fill("input[name=quantity]", "500")
    page.fill("input[name=unit]", "m²")
    page.locator("input[name=grid_ids]").first.check()
    page.locator("form[action='/offers/new'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/offers/\d+\?done=created"))
    return int(re.search(r"/offers/(\d+)", page.url).group(1))  # type: ignore[union-attr]


def _propose_on_every_line(page: Any, base: str, need_id: int, offer_id: int) -> None:
    page.goto(f"{base}/needs/{need_id}/recommendations")
    for _ in range(2):
        page.locator(f"form:has(input[name=candidate_id][value='{offer_id}']) button").first.click()
        page.wait_for_url(re.compile(r"proposed=\d+"))


@pytest.mark.parametrize(("locale", "viewport"), [("zh_CN", PHONE), ("en", DESKTOP)])
def test_the_partner_reads_what_withdrawing_cancels_before_confirming(
    browser: Any, demo_server: LiveServer, locale: str, viewport: dict[str, int]
) -> None:
    base = demo_server.base_url
    staff = signed_in(browser, base, "staff", locale="en")
    partner = signed_in(browser, base, "partner", locale=locale, viewport=viewport)
    tag = uuid4().hex[:6]
    lines = [("material", "renovation", f"透水砖{n} {tag}", "40", "m²") for n in (1, 2)]
    need_id = _record(staff, base, f"广场铺装 {tag}", lines, shift=False)
    offer_id = _publish_offer(partner, base, f"透水砖 {tag}")
    _propose_on_every_line(staff, base, need_id, offer_id)

    partner.goto(f"{base}/offers/{offer_id}")
    confirm = partner.locator(f"form[action='/offers/{offer_id}/withdraw'] button")
    assert not confirm.is_visible()  # the first click does not withdraw
    partner.locator(".offer-withdraw summary").click()
    preview = partner.locator(".offer-withdraw-preview").inner_text()
    expected = "撤回将取消2项待定的推荐。" if locale == "zh_CN" else "Withdrawing cancels 2 pending proposals."
    assert preview == expected
    confirm.click()
    partner.wait_for_url(re.compile(r"/offers\?done=withdrawn"))
    said = partner.locator(".banner-notice").inner_text()
    assert ("仍在等待的2项推荐随之结束" if locale == "zh_CN" else "2 proposals waiting on it ended with it") in said
    for page in (staff, partner):
        page.context.close()
