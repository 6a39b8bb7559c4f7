"""A resident follows their report in a real browser: they report a need on /submit, follow the link on the
thank-you page with their reference and phone and read "received"; staff publish it; the resident reads
"published as a project". Against the demo server, as a new visitor would."""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS

RESIDENT_PHONE = "13612345678"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _report(page: Any, base_url: str, title: str) -> str:
    """Fill the public form in the staff's community; returns the reference number on the thank-you page."""
    page.goto(f"{base_url}/submit")
    page.fill("#f-title", title)
    page.fill("#f-description", "小区东门的路灯一周没亮，晚上看不清台阶。")
    page.select_option("#f-category", "travel_safety")
    grid = page.eval_on_selector(
        "#f-grid_id",
        """select => {
            const group = [...select.querySelectorAll('optgroup')].find(g => g.label.includes('湖岛'));
            // a grid itself: an option naming the community only ("not sure which grid") asks for the address
            const grids = 'option[value]:not([value=""]):not([value="not-sure"]):not([value^="community-"])';
            return (group || select).querySelector(grids).value;
        }""",
    )
    page.select_option("#f-grid_id", grid)
    page.fill("#f-beneficiary_name", "刘桂兰")
    page.fill("#f-beneficiary_phone", RESIDENT_PHONE)
    page.get_by_role("button", name="提交").click()
    page.wait_for_load_state()
    assert "/submit/thanks/" in page.url, page.content()[:800]
    return page.locator(".need-reference").inner_text().strip()


def _follow(page: Any, phone: str = RESIDENT_PHONE) -> None:
    page.fill("#f-phone", phone)
    page.locator("form.track-form button[type=submit]").click()
    page.wait_for_load_state()


def test_a_resident_follows_their_report_from_received_to_published(browser: Any, demo_server: LiveServer) -> None:
    base = demo_server.base_url
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    resident = context.new_page()
    title = "东门路灯不亮（浏览器测试）"
    reference = _report(resident, base, title)
    assert re.fullmatch(r"XQ-\d{6}", reference)
    need_id = int(reference[3:])

    # The thank-you page links to tracking with the reference filled in; the resident adds their phone.
    resident.locator(f"a[href='/track?ref={reference}']").click()
    resident.wait_for_load_state()
    assert resident.input_value("#f-ref") == reference
    _follow(resident, "136 1234 5678")
    assert title in resident.content()
    current = resident.locator(".track-step.current .track-step-label")
    assert current.inner_text().strip().startswith("已收到")
    assert "136****5678" in resident.content() and "刘桂兰" not in resident.content()

    # A wrong phone reads like an unknown number.
    resident.goto(f"{base}/track?ref={reference}")
    _follow(resident, "13600000000")
    assert title not in resident.content()
    assert "没有与该受理编号和电话号码相符的诉求" in resident.content()

    # Staff of the grid publish it as a project. A report asks for nothing yet: the publish button says to add
    # an item first and links the edit form; staff add one there, then publish.
    staff = signed_in(browser, base, "staff")
    staff.goto(f"{base}/needs/{need_id}")
    staff.get_by_role("button", name="发布为项目").click()
    staff.wait_for_load_state()
    assert "发布前请至少添加一项资源或一个志愿者班次" in staff.locator("#publish-error").inner_text()
    staff.locator("#publish-error a").click()
    staff.wait_for_load_state()
    staff.select_option("select[name='line-0-kind']", "service")
    staff.select_option("select[name='line-0-category']", "travel_safety")
    staff.fill("input[name='line-0-description']", "更换路灯")
    staff.fill("input[name='line-0-quantity']", "1")
    staff.fill("input[name='line-0-unit']", "次")
    staff.locator("form.need-form button.button[type=submit]").last.click()
    staff.wait_for_url(re.compile(rf"/needs/{need_id}\?done=saved"))
    staff.get_by_role("button", name="发布为项目").click()
    staff.wait_for_load_state()
    assert staff.url.endswith(f"/needs/{need_id}?done=published"), staff.url
    staff.context.close()

    # The resident looks again, this time typing the short form of the reference.
    resident.goto(f"{base}/track")
    resident.fill("#f-ref", str(need_id))
    _follow(resident)
    assert resident.locator(".track-step.current .track-step-label").inner_text().strip().startswith("已发布为项目")
    assert resident.locator(f"a[href='/projects/{need_id}']").count() == 1
    context.close()
