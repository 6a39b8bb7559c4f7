"""An admin keeps the item vocabulary in a real browser: finds the street lamps, opens one, adds a synonym and
sees the offers and lines resolved again; the pages fit a phone and a desktop in both languages. Against
the demo server (its database migrated with the curated list and seeded)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS

SHOTS = Path(os.environ.get("ITEMS_SHOTS_DIR", "/tmp/shots/items"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _fits(page: Any) -> bool:
    """Nothing wider than the viewport but what scrolls inside its own box (tables in .table-scroll)."""
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"))


def test_the_admin_finds_edits_and_sees_the_vocabulary_on_a_phone_and_a_desktop(
    browser: Any, demo_server: LiveServer
) -> None:
    base = demo_server.base_url
    page = signed_in(browser, base, "admin")
    SHOTS.mkdir(parents=True, exist_ok=True)
    for locale in ("zh_CN", "en"):
        for label, viewport in (("390", PHONE), ("1280", DESKTOP)):
            page.set_viewport_size(viewport)
            page.goto(f"{base}/lang/{locale}?next=/admin/items")
            assert page.locator("table.item-table tbody tr").count() >= 80
            assert _fits(page), (locale, label)
            page.screenshot(path=str(SHOTS / f"items-{locale}-{label}.png"), full_page=True)
            page.screenshot(path=str(SHOTS / f"items-{locale}-{label}-top.png"))

    page.goto(f"{base}/lang/zh_CN?next=/admin/items")
    page.fill("#f-q", "路灯")
    with page.expect_navigation():
        page.get_by_role("button", name="搜索").click()
    names = page.locator("table.item-table tbody tr td:first-child a").all_inner_texts()
    assert any("太阳能路灯" in name for name in names) and not any("透水砖" in name for name in names)

    with page.expect_navigation():
        page.get_by_role("link", name="太阳能路灯 / solar street lamps").click()
    assert "solar_street_lamp" in page.content()
    synonyms = page.locator("#item-synonyms")
    synonyms.fill(synonyms.input_value() + "\n光伏路灯")
    with page.expect_navigation():
        page.get_by_role("button", name="保存").click()
    assert "物品已保存" in page.locator("p.notice").inner_text()
    assert "光伏路灯" in page.locator("#item-synonyms").input_value()
    for label, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page.set_viewport_size(viewport)
        assert _fits(page), label
        page.screenshot(path=str(SHOTS / f"item-saved-zh_CN-{label}.png"), full_page=True)
    page.goto(f"{base}/lang/en?next=/admin/items/solar_street_lamp")
    page.screenshot(path=str(SHOTS / "item-edit-en-1280.png"), full_page=True)
    page.context.close()
