"""The item vocabulary in a real browser: on a phone /admin/items shows each item as a card with no sideways scroll
(a table from 720px), and a form that comes back lists its problems, each link landing on its field (zh phone,
en desktop). Against the demo server; nothing is saved (the refused edit changes no item)."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS

SHOTS = Path(os.environ.get("ITEMS_SHOTS_DIR", "/tmp/shots/items"))
NOTHING_SIDEWAYS = """() => {
  const scroller = document.querySelector('.table-scroll');
  return document.documentElement.scrollWidth <= window.innerWidth + 1
    && scroller.scrollWidth <= scroller.clientWidth + 1;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize(
    ("locale", "viewport", "label", "row_display", "heading"),
    [
        ("zh_CN", PHONE, "390", "block", "请修改下面标出的内容。"),
        ("en", DESKTOP, "1280", "table-row", "Please correct"),
    ],
)
def test_the_list_reads_without_sideways_scroll_and_a_refused_form_links_each_problem_to_its_field(
    browser: Any,
    demo_server: LiveServer,
    locale: str,
    viewport: dict[str, int],
    label: str,
    row_display: str,
    heading: str,
) -> None:
    base = demo_server.base_url
    page = signed_in(browser, base, "admin", locale=locale, viewport=viewport)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(f"{base}/admin/items")
    rows = page.locator("table.item-table tbody tr")
    assert rows.count() >= 80
    assert page.evaluate(NOTHING_SIDEWAYS), (locale, label)
    assert rows.first.evaluate("row => getComputedStyle(row).display") == row_display
    page.screenshot(path=str(SHOTS / f"items-list-{locale}-{label}.png"))

    page.goto(f"{base}/admin/items/work_gloves")
    before = page.locator("#item-exclusions").input_value()
    page.fill("#item-exclusions", before + "\nflower pots")  # holds none of the item's names: it would never act
    with page.expect_navigation():
        page.locator("form[action='/admin/items/work_gloves'] button[type=submit]").click()
    summary = page.locator(".need-error-summary")
    assert heading in summary.inner_text()
    links = summary.locator("a")
    assert links.evaluate_all("links => links.map(a => a.getAttribute('href'))") == ["#item-exclusions"]
    assert "flower pots" in summary.inner_text()
    page.screenshot(path=str(SHOTS / f"item-form-problems-{locale}-{label}.png"), full_page=True)
    links.first.click()
    assert page.evaluate("location.hash") == "#item-exclusions"
    assert page.locator("#item-exclusions").evaluate("field => field.getBoundingClientRect().top") < viewport["height"]

    # Nothing was saved: the item reads as before.
    page.goto(f"{base}/admin/items/work_gloves")
    assert page.locator("#item-exclusions").input_value() == before
    page.context.close()
