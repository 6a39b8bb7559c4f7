"""A city admin records a need in a real browser: choosing its street keeps the report typed so far.

The small served city of ``test_browser_street_choice`` (three streets). The city admin types a resident's report
into /needs/new, then chooses the street: with scripts the grid list follows at once, everything typed still there;
choosing a grid and pressing Enter in the title records the need. The form after the street is chosen is
photographed in both languages, on a phone and a desktop (/tmp/shots/staff-street-choice).
"""

from pathlib import Path
from typing import Any

from seeds.demo_accounts import CITY_USERNAME
from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, signed_in
from tests.live_server import LiveServer
from tests.test_browser_street_choice import SECOND_STREET, browser, city_server  # noqa: F401 (fixture)

pytestmark = BROWSER_MARKS
SHOTS = Path("/tmp/shots/staff-street-choice")
TYPED = {
    "title": "独居老人家中漏水",
    "description": "5号楼3单元，厨房水管破裂。",
    "beneficiary_name": "孙桂兰",
    "beneficiary_phone": "13600002222",
    "line-0-description": "水管接头",
    "line-0-quantity": "2",
    "line-0-unit": "个",
}


def _type_report(page: Any) -> None:
    page.goto(page.url.split("/", 3)[0] + "//" + page.url.split("/", 3)[2] + "/needs/new")
    for name, value in TYPED.items():
        page.fill(f"#f-{name}", value)
    page.locator("#f-category").select_option(index=1)
    page.locator("#f-channel").select_option(index=1)
    page.locator("#f-line-0-kind").select_option(index=1)
    page.locator("#f-line-0-category").select_option(index=1)


def test_choosing_the_street_keeps_the_report_and_enter_records_it(
    browser: Any,  # noqa: F811
    city_server: LiveServer,  # noqa: F811
) -> None:
    page = signed_in(browser, city_server.base_url, CITY_USERNAME, locale="en", viewport=DESKTOP)
    _type_report(page)
    assert page.locator("select#f-grid_id").count() == 0  # no grid before a street
    with page.expect_navigation():
        page.locator("#f-street").select_option(SECOND_STREET)  # the script presses "Show this street's grids"
    page.wait_for_load_state()
    for name, value in TYPED.items():
        assert page.input_value(f"#f-{name}") == value, name
    assert page.input_value("#f-line-0-kind") != ""
    assert page.input_value("#f-street") == SECOND_STREET
    assert page.locator(".field-error").count() == 0
    page.locator("#f-grid_id").select_option(index=1)
    with page.expect_navigation():
        page.locator("#f-title").press("Enter")  # the form's own save, not the street's button
    assert "done=created" in page.url, page.locator("[role=alert]").all_inner_texts()
    assert TYPED["title"] in page.content()
    page.context.close()


def test_the_form_after_choosing_a_street_looks_right(
    browser: Any,  # noqa: F811
    city_server: LiveServer,  # noqa: F811
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for locale in ("zh_CN", "en"):
        for width, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            page = signed_in(browser, city_server.base_url, CITY_USERNAME, locale=locale, viewport=viewport)
            _type_report(page)
            with page.expect_navigation():
                page.locator("#f-street").select_option(SECOND_STREET)
            page.wait_for_load_state()
            assert page.input_value("#f-title") == TYPED["title"]
            page.screenshot(path=str(SHOTS / f"needs-new-{locale}-{width}.png"), full_page=True)
            page.context.close()
