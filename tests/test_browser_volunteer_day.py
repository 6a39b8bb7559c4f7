"""A volunteer's day in a real browser: staff post a project with two shifts today, a new volunteer
registers, signs up for both, checks in to the running one, sees the later one's check-in held back
(one shift at a time), checks out and reads how many hours were credited and by which rule, then checks
in to the later shift and is told when check-out opens instead of being offered a button.

The journey makes its own project and volunteer on the shared demo server. Only one step is not done
through the pages: the check-in is moved 50 minutes back in the demo's database, so the stay is long
enough to credit hours without the test waiting that long.
"""

import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from marketplace.street_clock import STREET_TIMEZONE
from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS
SHOTS = Path("/tmp/shots/hours")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _local(moment: datetime) -> str:
    return moment.astimezone(STREET_TIMEZONE).strftime("%Y-%m-%dT%H:%M")


def _shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _post_project(browser: Any, base_url: str, stamp: str) -> int:
    """Staff record a need with two shifts today and publish it; its id."""
    page = signed_in(browser, base_url, "staff", locale="en")
    now = datetime.now(STREET_TIMEZONE).replace(second=0, microsecond=0)
    page.goto(f"{base_url}/needs/new")
    page.fill("#f-title", f"Community day {stamp}")
    page.fill("#f-description", "Tidy the courtyard and help at the lunch table for the elderly.")
    for name in ("category", "grid_id", "channel", "urgency"):
        page.locator(f"#f-{name}").select_option(index=1)
    page.locator("button[name=add][value=shift]").click()
    page.wait_for_load_state()
    page.fill("#f-shift-0-title", f"Courtyard {stamp}")
    page.fill("#f-shift-0-starts_at", _local(now - timedelta(minutes=30)))
    page.fill("#f-shift-0-ends_at", _local(now + timedelta(minutes=25)))
    page.fill("#f-shift-0-slots", "3")
    page.fill("#f-shift-1-title", f"Lunch table {stamp}")
    page.fill("#f-shift-1-starts_at", _local(now + timedelta(minutes=40)))
    page.fill("#f-shift-1-ends_at", _local(now + timedelta(minutes=100)))
    page.fill("#f-shift-1-slots", "3")
    page.get_by_role("button", name="Record the need").click()
    page.wait_for_load_state()
    found = re.search(r"/needs/(\d+)", page.url)
    assert found, (page.url, page.content()[:3000])
    need_id = int(found.group(1))
    page.locator(f"form[action='/needs/{need_id}/publish'] button[type=submit]").first.click()
    page.wait_for_load_state()
    page.context.close()
    return need_id


def _register(browser: Any, base_url: str, stamp: str, locale: str, viewport: dict[str, int]) -> Any:
    context = browser.new_context(locale="zh-CN" if locale == "zh_CN" else "en-US", viewport=viewport)
    page = context.new_page()
    page.goto(f"{base_url}/lang/{locale}?next=/register/volunteer")
    page.fill("#f-username", f"day{stamp}")
    page.fill("#f-display_name", f"志愿者{stamp}")
    page.fill("#f-phone", "13912345678")
    page.fill("#f-password", "a long walk by the sea 2026")
    page.locator("select[name=home_grid_id]").select_option(index=1)
    page.locator("form[action='/register/volunteer'] button[type=submit]").click()
    page.wait_for_load_state()
    assert "/volunteer/profile" in page.url, page.content()[:3000]
    return page


def _rewind_check_in(server: LiveServer, title: str, minutes: int) -> None:
    database = server.log_path.parent / "marketplace.sqlite3"
    with sqlite3.connect(database, timeout=30) as connection:
        connection.execute(
            "UPDATE shift_signup SET checked_in_at = datetime(checked_in_at, ?) "
            "WHERE status = 'checked_in' AND shift_id = (SELECT id FROM shift WHERE title = ?)",
            (f"-{minutes} minutes", title),
        )


@pytest.mark.parametrize(("locale", "viewport"), [("zh_CN", PHONE), ("en", DESKTOP)])
def test_a_volunteer_checks_in_checks_out_and_sees_the_credited_hours(
    browser: Any, demo_server: LiveServer, locale: str, viewport: dict[str, int]
) -> None:
    base_url = demo_server.base_url
    stamp = f"{int(time.time() * 1000) % 10**9}{locale[:2]}"
    need_id = _post_project(browser, base_url, stamp)
    page = _register(browser, base_url, stamp, locale, viewport)
    zh = locale == "zh_CN"
    width = viewport["width"]

    page.goto(f"{base_url}/projects/{need_id}/take-part")
    for _shift in range(2):
        page.locator("form[action^='/shifts/'][action$='/sign-up'] button").first.click()
        page.wait_for_load_state()
        page.goto(f"{base_url}/projects/{need_id}/take-part")
    page.goto(f"{base_url}/signups")
    cards = page.locator("li.take-part-signup")
    assert cards.count() == 2
    running, later = cards.nth(0), cards.nth(1)
    assert running.locator("form[action$='/check-in']").count() == 1  # open: the shift has started
    assert later.locator("form[action$='/check-in']").count() == 1  # open: it starts within the hour

    running.locator("form[action$='/check-in'] button").click()
    page.wait_for_load_state()
    running, later = page.locator("li.take-part-signup").nth(0), page.locator("li.take-part-signup").nth(1)
    assert running.locator("form[action$='/check-out']").count() == 1  # after the start: check-out is offered
    assert later.locator("form[action$='/check-in']").count() == 0  # one shift at a time
    assert (
        f"您已在“Courtyard {stamp}”签到" if zh else f"You are checked in to “Courtyard {stamp}”"
    ) in later.inner_text()
    _shoot(page, f"signups-checked-in-{locale}-{width}")

    _rewind_check_in(demo_server, f"Courtyard {stamp}", minutes=50)  # on site since 20 minutes before the start
    running.locator("form[action$='/check-out'] button").click()
    page.wait_for_load_state()
    banner = page.locator("#credited").inner_text()
    # Counted from the start (30 minutes ago), not from the early arrival: 30 minutes is 0.5 h.
    if zh:
        assert f"已签退。“Courtyard {stamp}”计入0.5小时" in banner and "按刻钟四舍五入" in banner
        assert "不足8分钟计0小时" in banner
    else:
        assert f"Checked out. 0.5 h credited for “Courtyard {stamp}”." in banner
        # The shift started 30 minutes before the project was posted; a slow machine adds a minute or two.
        counted = re.search(r"Counted: (\d+) minutes within the shift", banner)
        assert counted is not None and 30 <= int(counted.group(1)) <= 37, banner
        assert "less than 8 minutes counts 0 h" in banner
    _shoot(page, f"signups-checked-out-{locale}-{width}")

    later = page.locator("li.take-part-signup").first
    later.locator("form[action$='/check-in'] button").click()
    page.wait_for_load_state()
    later = page.locator("li.take-part-signup").first
    assert later.locator("form[action$='/check-out']").count() == 0  # not before the shift starts
    assert ("（班次开始时）签退" if zh else "when the shift starts") in later.inner_text()
    _shoot(page, f"signups-early-check-out-{locale}-{width}")

    page.goto(f"{base_url}/volunteer/hours")
    assert "0.5" in page.locator(".stat-row").inner_text()
    assert ("按刻钟" if zh else "nearest quarter hour") in page.locator("#hours-rule").inner_text()
    _shoot(page, f"hours-{locale}-{width}")
    page.context.close()
