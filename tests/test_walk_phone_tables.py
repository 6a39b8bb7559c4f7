"""On a phone, a table's dates, statuses and quantities stay on one line; only titles wrap.

Found walking the demo at 390 px: a volunteer's "recent sign-ups" broke "2026年12月2 / 日" and "已确 / 认" over
two lines, and a need's resource table broke "5,000 / m²". In a real Chromium against the demo server.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS

# The cells of ``selector`` whose text runs over more than one line (each as its text).
BROKEN_CELLS = """(selector) => Array.from(document.querySelectorAll(selector)).filter((cell) => {
  const range = document.createRange();
  range.selectNodeContents(cell);
  const tops = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0).map((r) => Math.round(r.top)));
  return tops.size > 1;
}).map((cell) => cell.textContent.trim())"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_volunteers_hours_tables_keep_dates_statuses_and_hours_on_one_line(
    browser: Any, demo_server: LiveServer, locale: str
) -> None:
    page = signed_in(browser, demo_server.base_url, "volunteer", locale=locale, viewport=PHONE)
    try:
        page.goto(f"{demo_server.base_url}/volunteer/hours")
        cells = "main table tbody td:not(:first-child), main table thead th"
        assert page.locator("main table tbody td").count() > 0, "the demo volunteer has sign-ups"
        assert page.evaluate(BROKEN_CELLS, cells) == []
    finally:
        page.context.close()


def test_a_needs_resource_table_keeps_each_quantity_with_its_unit(browser: Any, demo_server: LiveServer) -> None:
    page = signed_in(browser, demo_server.base_url, "staff", locale="zh_CN", viewport=PHONE)
    try:
        page.goto(f"{demo_server.base_url}/needs/1")  # the Hudao Xincun renovation: 5,000 m² of permeable bricks
        quantities = page.locator("main table tbody td:nth-child(2)")
        assert quantities.count() > 0
        assert page.evaluate(BROKEN_CELLS, "main table tbody td:nth-child(2), main table tbody td:nth-child(3)") == []
        assert page.evaluate(BROKEN_CELLS, "main table tbody td:nth-child(4) .need-qty") == []
    finally:
        page.context.close()
