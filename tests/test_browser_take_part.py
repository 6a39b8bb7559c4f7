"""A partner takes part in Chromium: each resource line offers only the partner's offers that can serve it,
and the need still ends closed and verified.

Staff record a need with a line of permeable bricks (m²) and a line of LED lamps (个); the demo partner (a
maker of recycled bricks) sees its brick offer for the bricks and, for the lamps, why none of its offers
can serve them. It claims part of the bricks; the admin approves; the partner delivers; staff close the
lamps line as enough and verify.
"""

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from tests.browser import BROWSER_MARKS, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer
from tests.test_browser_need_journeys import _approve_in_review, _deliver, _record, _verify

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def test_a_partner_is_offered_only_what_fits_each_line_and_the_need_closes(
    browser: Any, demo_server: LiveServer
) -> None:
    base = demo_server.base_url
    staff = signed_in(browser, base, "staff", locale="en")
    partner = signed_in(browser, base, "partner", locale="zh_CN", viewport=PHONE)
    admin = signed_in(browser, base, "admin", locale="en")
    lines = [
        ("material", "renovation", "再生透水砖", "40", "平方米"),
        ("material", "renovation", "LED声控灯", "2", "个"),
    ]
    need_id = _record(staff, base, f"楼道改造 {uuid4().hex[:6]}", lines, shift=False)
    staff.goto(f"{base}/needs/{need_id}")
    assert "40 m²" in staff.locator("main").inner_text()  # 平方米 is stored as the unit table spells it
    bricks_id, lamps_id = (
        int(staff.locator("details.need-change[id^='line-']").nth(i).get_attribute("id").split("-")[1]) for i in (0, 1)
    )

    partner.goto(f"{base}/projects/{need_id}/take-part")
    lamps = partner.locator(f"#line-{lamps_id}")
    assert lamps.locator("select[name=offer_id]").count() == 0
    assert "无法满足此资源项" in lamps.inner_text() and "个" in lamps.inner_text()
    bricks = partner.locator(f"#line-{bricks_id}")
    chosen = bricks.locator("select[name=offer_id] option:checked").inner_text()
    assert "砖" in chosen and "m²" in chosen
    bricks.locator("input[name=quantity]").fill("40")
    bricks.locator("button[type=submit]").click()
    partner.wait_for_url("**/claims?done=claimed**")

    _approve_in_review(admin, base, need_id)
    _deliver(partner, base)

    staff.goto(f"{base}/needs/{need_id}")
    lamp_change = staff.locator(f"#line-{lamps_id}")
    lamp_change.locator("summary").click()
    lamp_change.locator("form[action$='/close'] input[name=reason]").fill("居民已自购")
    lamp_change.locator("form[action$='/close'] button").click()
    staff.wait_for_url("**done=line_closed**")
    _verify(staff, base, need_id)
    assert "Verified" in staff.locator("main").inner_text()
    for page in (staff, partner, admin):
        page.context.close()
