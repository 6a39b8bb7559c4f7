"""A real Chromium for browser tests, and the steps every journey starts with (sign in, choose a language).

Browser tests share the demo server (one xdist group), so each journey makes its own need and never
relies on what another test left behind.
"""

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from seeds.demo_accounts import DEMO_PASSWORD

CHROMIUM = shutil.which("chromium")
BROWSER_MARKS = [pytest.mark.xdist_group("demo_server"), pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def launch_chromium() -> Iterator[Any]:
    """Chromium for a module's tests: a failure on CI when it is missing, a skip with the reason elsewhere."""
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the browser tests: install chromium (apt-get install -y chromium)")
        pytest.skip("Chromium is not installed (apt-get install -y chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


def signed_in(
    browser: Any, base_url: str, username: str, *, locale: str = "zh_CN", viewport: dict | None = None
) -> Any:
    """A new page signed in as a demo account, reading in ``locale`` (zh_CN or en)."""
    context = browser.new_context(locale="zh-CN" if locale == "zh_CN" else "en-US", viewport=viewport or DESKTOP)
    page = context.new_page()
    page.goto(f"{base_url}/lang/{locale}?next=/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()
    return page
