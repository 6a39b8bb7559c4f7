"""Two journeys to a closed, verified need in Chromium, each role in its own browser context:

(a) a whole-project claim: staff record and publish a need, the partner claims the whole project, the admin
approves it, the partner marks it delivered, staff verify, and the public page shows it closed with
nothing still needed;
(b) a changed need: staff lower a line's quantity, close a line as enough and cancel a shift from the
need page, and then verify it.

Each journey makes its own need on the shared demo server.
"""

import re
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from tests.browser import BROWSER_MARKS, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def pages(browser: Any, demo_server: LiveServer) -> dict[str, Any]:
    """One signed-in page per role, reused by both journeys (English, to read the outcomes)."""
    return {role: signed_in(browser, demo_server.base_url, role, locale="en") for role in ("staff", "partner", "admin")}


def _record(page: Any, base: str, title: str, lines: list[tuple[str, str, str, str, str]], shift: bool) -> int:
    """Staff record a need through the form (lines: kind, category, description, quantity, unit) and publish it."""
    rows = max(2, len(lines))
    page.goto(f"{base}/needs/new")
    page.fill("input[name=title]", title)
    page.select_option("select[name=category]", "renovation")
    page.select_option("select[name=grid_id]", index=1)
    page.select_option("select[name=channel]", index=1)
    for index, (kind, category, description, quantity, unit) in enumerate(lines[:rows]):
        page.select_option(f"select[name='line-{index}-kind']", kind)
        page.select_option(f"select[name='line-{index}-category']", category)
        page.fill(f"input[name='line-{index}-description']", description)
        page.fill(f"input[name='line-{index}-quantity']", quantity)
        page.fill(f"input[name='line-{index}-unit']", unit)
    if shift:
        page.fill("input[name='shift-0-title']", "搬运志愿")
        page.fill("input[name='shift-0-starts_at']", "2031-05-04T09:00")
        page.fill("input[name='shift-0-ends_at']", "2031-05-04T11:00")
        page.fill("input[name='shift-0-slots']", "3")
    page.locator("form.need-form button.button[type=submit]").last.click()
    page.wait_for_url(re.compile(r"/needs/\d+\?done=created"))
    need_id = int(re.search(r"/needs/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    page.locator(f"form[action='/needs/{need_id}/publish'] button").click()
    page.wait_for_url(re.compile(rf"/needs/{need_id}\?done=published"))
    return need_id


def _approve_in_review(page: Any, base: str, need_id: int) -> None:
    page.goto(f"{base}/review?need={need_id}")
    page.locator("form[action$='/approve'] button[data-approve]").first.click()
    page.wait_for_load_state()


def _deliver(page: Any, base: str) -> None:
    page.goto(f"{base}/claims")
    page.locator("form[action$='/delivered'] button").first.click()
    page.wait_for_url(re.compile(r"done=delivered"))


def _verify(page: Any, base: str, need_id: int) -> None:
    page.goto(f"{base}/needs/{need_id}")
    page.locator("input[name=satisfaction][value='5']").check()
    page.locator(f"form[action='/needs/{need_id}/verify'] button").click()
    page.wait_for_url(re.compile(rf"/needs/{need_id}\?done=verified"))


def test_a_whole_project_claim_to_closure(pages: dict[str, Any], demo_server: LiveServer) -> None:
    base, staff, partner, admin = demo_server.base_url, pages["staff"], pages["partner"], pages["admin"]
    title = f"凉亭修缮 {uuid4().hex[:6]}"
    need_id = _record(staff, base, title, [("service", "renovation", "修缮凉亭", "1", "次")], shift=False)

    partner.goto(f"{base}/projects/{need_id}/take-part")
    partner.locator("#whole form button").click()
    partner.wait_for_url(re.compile(r"/claims\?done=claimed"))
    _approve_in_review(admin, base, need_id)
    _deliver(partner, base)

    staff.goto(f"{base}/needs/{need_id}")
    assert "Provided by the whole-project claim" in staff.content()
    _verify(staff, base, need_id)

    public = partner.context.new_page()
    public.goto(f"{base}/projects/{need_id}")
    text = public.locator("main").inner_text()
    assert "Verified" in text and "still needed" not in text and "All 1" in text
    public.close()


def test_a_changed_need_to_closure(pages: dict[str, Any], demo_server: LiveServer) -> None:
    base, staff, partner, admin = demo_server.base_url, pages["staff"], pages["partner"], pages["admin"]
    title = f"透水砖铺装 {uuid4().hex[:6]}"
    lines = [("material", "renovation", "透水砖", "10", "m²"), ("material", "renovation", "路缘石", "20", "m")]
    need_id = _record(staff, base, title, lines, shift=True)
    staff.goto(f"{base}/needs/{need_id}")
    bricks_id = int(staff.locator("details.need-change").first.get_attribute("id").split("-")[1])

    partner.goto(f"{base}/projects/{need_id}/take-part")
    form = partner.locator(f"#line-{bricks_id} form")
    form.locator("input[name=quantity]").fill("4")
    form.locator("button").click()
    partner.wait_for_url(re.compile(r"/claims\?done=claimed"))
    _approve_in_review(admin, base, need_id)

    # Lowering below what the approved claim holds is refused next to the field; to 4 is accepted.
    staff.goto(f"{base}/needs/{need_id}")
    line = staff.locator(f"#line-{bricks_id}")
    line.locator("summary").click()
    line.locator("input[name=quantity]").fill("3")
    line.locator(f"form[action$='/lines/{bricks_id}'] button").click()
    assert "Not below the 4" in staff.locator(f"#line-{bricks_id}-quantity-error").inner_text()
    staff.locator(f"#line-{bricks_id} input[name=quantity]").fill("4")
    staff.locator(f"#line-{bricks_id} form[action$='/lines/{bricks_id}'] button").click()
    staff.wait_for_url(re.compile(r"done=line_changed"))

    kerb = staff.locator("details.need-change[id^='line-']").nth(1)
    kerb.locator("summary").click()
    kerb.locator("input[name=reason]").last.fill("居民已自行解决")
    kerb.locator("form[action$='/close'] button").click()
    staff.wait_for_url(re.compile(r"done=line_closed"))

    shift = staff.locator("details.need-change[id^='shift-']").first
    shift.locator("summary").click()
    shift.locator("form[action$='/cancel'] input[name=reason]").fill("改由施工队完成")
    shift.locator("form[action$='/cancel'] button").click()
    staff.wait_for_url(re.compile(r"done=shift_cancelled"))
    page_text = staff.locator("main").inner_text()
    assert "Closed as enough" in page_text and "Cancelled" in page_text

    _deliver(partner, base)
    _verify(staff, base, need_id)
    assert "Verified" in staff.locator("main").inner_text()
