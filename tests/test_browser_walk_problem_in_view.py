"""A form low on a long page that is sent back with a problem shows the problem on the first screen.

Found walking the demo on a phone: staff opened "Change" under a need's resource line (some 1,500 px down
the need page), typed a quantity the street refuses, and got the need page back scrolled to its top, the
problem written under the field far below and nothing on screen saying the change was refused. The page now
brings the first field marked invalid into view and focuses it; a form that lists its problems at the top
(the resident's report) keeps its list on screen.
"""

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest

from tests.browser import BROWSER_MARKS, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer
from tests.test_browser_need_journeys import _record

pytestmark = BROWSER_MARKS

IN_VIEW = """(element) => {
  const box = element.getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def test_a_refused_line_change_on_a_phone_shows_the_field_and_its_problem(
    browser: Any, demo_server: LiveServer
) -> None:
    base = demo_server.base_url
    staff = signed_in(browser, base, "staff", locale="zh_CN", viewport=PHONE)
    line = ("material", "renovation", "不锈钢扶手", "8", "米")
    need_id = _record(staff, base, f"楼道扶手 {uuid4().hex[:6]}", [line], shift=False)
    staff.goto(f"{base}/needs/{need_id}")
    change = staff.locator("details.need-change[id^='line-']").first
    change.locator("summary").click()
    form = change.locator("form[action*='/lines/']:not([action$='/close'])")
    form.locator("input[name=quantity]").fill("abc")
    form.locator("button[type=submit]").click()
    staff.wait_for_load_state()

    field = staff.locator("main [aria-invalid='true']").first
    assert field.get_attribute("name") == "quantity"
    assert staff.evaluate("window.scrollY") > 0, "the page stayed at its top"
    assert field.evaluate(IN_VIEW), "the refused field is not on screen"
    assert field.evaluate("(element) => element === document.activeElement")
    problem = staff.locator(f"#{field.get_attribute('aria-describedby')}")
    assert problem.is_visible() and problem.evaluate(IN_VIEW)
    staff.context.close()


def test_a_form_listing_its_problems_at_the_top_stays_at_the_top(browser: Any, demo_server: LiveServer) -> None:
    context = browser.new_context(locale="zh-CN", viewport=PHONE)
    resident = context.new_page()
    resident.goto(f"{demo_server.base_url}/lang/zh_CN?next=/submit")
    resident.locator("main form button[type=submit]").click()
    resident.wait_for_load_state()
    assert resident.locator("main [aria-invalid='true']").count() > 0
    assert resident.evaluate("window.scrollY") == 0
    assert resident.locator("main .banner-problem").first.evaluate(IN_VIEW)
    context.close()
