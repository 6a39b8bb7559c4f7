"""In Chromium: a partner whose offer cannot serve a line reads why, publishes a fitting offer from the form
filled in from the line, lands back at the line with the new offer chosen, and claims it.

Staff record a need with a line of 楼道灯 counted in 个; the demo partner publishes "LED bulbs" in 个
through the blank form (个 says nothing of what is counted, and bulbs are another item than stairwell
lights; the newcomer walk's "LED stairwell lamps" fit: tests/test_english_offer_fits_line.py). Both offers
are withdrawn at the end: the demo server is shared with other browser journeys.
"""

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from tests.browser import BROWSER_MARKS, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer
from tests.test_browser_need_journeys import _record

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _withdraw(page: Any, base: str, offer_id: int) -> None:
    page.goto(f"{base}/offers/{offer_id}")
    form = page.locator(f"form[action='/offers/{offer_id}/withdraw']")
    if form.count():
        page.locator(".offer-withdraw summary").click()  # withdrawing is confirmed in a second step
        form.locator("button").click()
        page.wait_for_load_state()


def test_a_partner_reads_why_publishes_a_fitting_offer_for_the_line_and_claims_it(
    browser: Any, demo_server: LiveServer
) -> None:
    base = demo_server.base_url
    staff = signed_in(browser, base, "staff", locale="en")
    partner = signed_in(browser, base, "partner", locale="en", viewport=PHONE)
    title = f"楼道灯更换 {uuid4().hex[:6]}"
    need_id = _record(staff, base, title, [("material", "renovation", "楼道灯", "30", "个")], shift=False)
    published: list[int] = []
    try:
        partner.goto(f"{base}/offers/new")
        assert partner.locator("select[name=kind]").input_value() == ""  # the blank form, as before
        partner.select_option("select[name=kind]", "material")
        partner.select_option("select[name=category]", "renovation")
        partner.fill("input[name=title]", "LED bulbs")
        partner.fill("input[name=quantity]", "20")
        partner.fill("input[name=unit]", "个")
        partner.locator("input[name=grid_ids]").first.check()
        partner.locator("form[action='/offers/new'] button[type=submit]").click()
        partner.wait_for_url(re.compile(r"/offers/\d+\?done=created"))
        published.append(int(re.search(r"/offers/(\d+)", partner.url).group(1)))  # type: ignore[union-attr]

        partner.goto(f"{base}/projects/{need_id}/take-part")
        line = partner.locator("li.take-part-line").first
        line_id = int((line.get_attribute("id") or "").split("-")[1])
        text = line.inner_text()
        assert line.locator("select[name=offer_id]").count() == 0
        assert "LED bulbs" in text and "is not the item this line needs (楼道灯)" in text

        line.get_by_role("link", name="Publish an offer for this line").click()
        partner.wait_for_url(f"**/offers/new?line={line_id}")
        assert partner.locator("select[name=kind]").input_value() == "material"
        assert partner.locator("select[name=category]").input_value() == "renovation"
        assert partner.locator("input[name=title]").input_value() == "楼道灯"
        assert partner.locator("input[name=unit]").input_value() == "个"
        assert partner.locator("input[name=quantity]").input_value() == "30"
        assert partner.locator("input[name=grid_ids]:checked").count() == 1
        assert title in partner.locator(".offer-for-line").inner_text()
        partner.fill("input[name=quantity]", "12")
        partner.locator("form[action='/offers/new'] button[type=submit]").click()
        partner.wait_for_url(
            re.compile(rf"/projects/{need_id}/take-part\?done=offer_published&offer=\d+#line-{line_id}")
        )
        published.append(int(re.search(r"offer=(\d+)", partner.url).group(1)))  # type: ignore[union-attr]
        assert "can now be claimed" in partner.locator(".banner-notice").inner_text()

        line = partner.locator(f"#line-{line_id}")
        assert line.locator("select[name=offer_id]").input_value() == str(published[-1])
        line.locator("input[name=quantity]").fill("12")
        line.locator("button[type=submit]").click()
        partner.wait_for_url("**/claims?done=claimed**")
        assert title in partner.locator("main").inner_text()
    finally:
        for offer_id in published:
            _withdraw(partner, base, offer_id)
        for page in (staff, partner):
            page.context.close()
