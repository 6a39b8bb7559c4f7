"""Choosing a street on a city's public forms in a real browser keeps what was typed.

A small city (three streets) is seeded and served. With scripts, choosing a street in the report form's select
shows that street's grids at once, everything typed still there, and Enter in a text field then sends the report
(not the street button). Without scripts, the "Show this street's grids" button does the same on the volunteer
registration. Each form is photographed after a street is chosen with values typed, in both languages, on a
phone and a desktop (/tmp/shots/street-choice).
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium
from tests.live_server import PROJECT_ROOT, LiveServer, start_serve

pytestmark = BROWSER_MARKS
SHOTS = Path("/tmp/shots/street-choice")
SECRET = "street-choice-browser-test-secret-key-0123456789"
SECOND_STREET = "370202-badaguan"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def city_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    var_dir = tmp_path_factory.mktemp("street-choice-var")
    database_url = f"sqlite:///{var_dir / 'marketplace.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    env |= {"MARKETPLACE_VAR_DIR": str(var_dir), "MARKETPLACE_DATABASE_URL": database_url}
    env["MARKETPLACE_SECRET_KEY"] = SECRET
    for command in (["db", "upgrade"], ["seed", "city", "--streets", "3", "--today", "2026-12-01"]):
        subprocess.run(
            [sys.executable, "-m", "marketplace", *command], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True
        )
    server = start_serve(database_url, var_dir, settings={"SECRET_KEY": SECRET})
    try:
        yield server
    finally:
        server.stop()


def _page(
    browser: Any, base_url: str, path: str, locale: str, viewport: dict[str, int], *, scripts: bool = True
) -> Any:
    context = browser.new_context(
        locale="zh-CN" if locale == "zh_CN" else "en-US", viewport=viewport, java_script_enabled=scripts
    )
    page = context.new_page()
    page.goto(f"{base_url}/lang/{locale}?next={path}")
    return page


def _fill(page: Any, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)


REPORT = {
    "title": "楼道灯坏了",
    "description": "3号楼2单元，已经一周。",
    "beneficiary_name": "赵明",
    "beneficiary_phone": "13700001111",
}
ORGANIZATION = {
    "name": "青岛红帆物业服务有限公司",
    "credit_code": "91370203MA3C4DXX0X",
    "contact_name": "王建国",
    "contact_phone": "13800138000",
    "username": "hongfan-shot",
    "display_name": "王建国",
    "phone": "13800138001",
}
A_GRID = "option:not([value='']):not([value='not-sure']):not([value^='community-'])"
VOLUNTEER = {"username": "xiaoli-shot", "display_name": "李小丽", "phone": "13912345678", "weekly_hour_cap": "6"}


def test_choosing_a_street_with_scripts_keeps_the_report_and_enter_sends_it(
    browser: Any, city_server: LiveServer
) -> None:
    page = _page(browser, city_server.base_url, "/submit", "en", DESKTOP)
    _fill(page, REPORT)
    page.locator("#f-category").select_option(index=1)
    with page.expect_navigation():
        page.locator("#f-street").select_option(SECOND_STREET)  # the script presses "Show this street's grids"
    page.wait_for_load_state()
    for name, value in REPORT.items():
        assert page.input_value(f"#f-{name}") == value, name
    assert page.input_value("#f-street") == SECOND_STREET
    assert page.locator("#f-grid_id option").count() > 1
    assert page.locator(".field-error").count() == 0
    # A grid itself: the options naming a community only ("not sure which grid") ask for the address too.
    page.locator("#f-grid_id").select_option(page.locator(f"#f-grid_id {A_GRID}").first.get_attribute("value"))
    page.locator("#f-title").press("Enter")  # the form's own send button, not the street's
    page.wait_for_url("**/submit/thanks/**")
    page.context.close()


def test_choosing_a_street_without_scripts_keeps_the_volunteers_values(browser: Any, city_server: LiveServer) -> None:
    page = _page(browser, city_server.base_url, "/register/volunteer", "zh_CN", PHONE, scripts=False)
    _fill(page, VOLUNTEER)
    page.fill("#f-password", "volunteers plant trees")
    page.locator("input[name=slots][value='5-afternoon']").check()
    page.locator("#f-street").select_option(SECOND_STREET)
    assert "/register/volunteer" in page.url and page.locator("select#f-home_grid_id").count() == 0  # nothing yet
    page.get_by_role("button", name="显示该街道的网格").click()
    page.wait_for_load_state()
    for name, value in VOLUNTEER.items():
        assert page.input_value(f"#f-{name}") == value, name
    assert page.locator("input[name=slots][value='5-afternoon']").is_checked()
    assert page.input_value("#f-street") == SECOND_STREET
    assert page.locator("#f-home_grid_id option").count() > 1
    assert page.input_value("#f-password") == ""  # never carried back; the hint asks for it again
    assert "请重新输入密码" in page.content()
    page.context.close()


FORMS = [
    ("/submit", REPORT, "report"),
    ("/register/organization", ORGANIZATION, "organization"),
    ("/register/volunteer", VOLUNTEER, "volunteer"),
]


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
@pytest.mark.parametrize(("viewport", "width"), [(PHONE, "phone"), (DESKTOP, "desktop")])
def test_each_form_after_choosing_a_street_is_photographed(
    browser: Any, city_server: LiveServer, locale: str, viewport: dict[str, int], width: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path, fields, name in FORMS:
        page = _page(browser, city_server.base_url, path, locale, viewport)
        first_option = page.locator("#f-street option").first.inner_text()
        assert first_option == ("请选择街道" if locale == "zh_CN" else "Choose a street")
        _fill(page, fields)
        with page.expect_navigation():
            page.locator("#f-street").select_option(SECOND_STREET)
        page.wait_for_load_state()
        for field, value in fields.items():
            assert page.input_value(f"#f-{field}") == value, (path, field)
        # Wider than the screen would mean a sideways scroll on a phone.
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        page.screenshot(path=str(SHOTS / f"{name}-{locale}-{width}.png"), full_page=True)
        page.context.close()
