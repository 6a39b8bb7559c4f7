"""Screenshots of each role's home (/home) on a phone (390 px) and a desktop (1280 px), in both languages,
for people to look at: saved under $MARKETPLACE_SCREENSHOTS_DIR (default artifacts/screenshots/ in the
repository, git-ignored); .ci/run says where they are after the run."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import PROJECT_ROOT, LiveServer
from tests.page_survey import ROLES, sideways_overflow

pytestmark = BROWSER_MARKS

WIDTHS = {"phone": PHONE, "desktop": DESKTOP}


def screenshots_dir() -> Path:
    folder = Path(os.environ.get("MARKETPLACE_SCREENSHOTS_DIR") or PROJECT_ROOT / "artifacts" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_each_roles_home_is_shot_on_a_phone_and_a_desktop(
    browser: Any, demo_server: LiveServer, role: str, locale: str
) -> None:
    folder = screenshots_dir()
    page = signed_in(browser, demo_server.base_url, role, locale=locale, viewport=PHONE)
    try:
        for label, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            response = page.goto(f"{demo_server.base_url}/home")
            assert response is not None and response.status == 200, f"/home as {role}: {response and response.status}"
            if label == "phone":
                assert sideways_overflow(page) <= 0, f"/home as {role} in {locale} scrolls sideways at 390 px"
            shot = folder / f"home-{role}-{locale}-{label}-{viewport['width']}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 5_000
    finally:
        page.context.close()
