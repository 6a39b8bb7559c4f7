"""On a phone, a staff need's resource lines fit the screen: each line is a card whose closing reason wraps, never
a table scrolling inside its box.

Found on a newcomer's walk at 390 px in English: the resource-line table scrolled sideways inside its box and
the reason a line was closed was cut off until scrolled. In a real Chromium against the demo server, both
languages.
"""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, PHONE, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS

REASON = (
    "The neighbourhood committee found enough volunteers-and-materials-from-the-residents-themselves "
    "after the rebuilding of the north courtyard, so nothing more is needed for this line"
)
# How far the table (or anything in it) reaches past its box: sideways scrolling, or content cut off.
OVERFLOW = """() => {
  const table = document.querySelector('.need-lines-table');
  const box = table.closest('.table-scroll') || table.parentElement;
  const right = box.getBoundingClientRect().right;
  let worst = Math.max(box.scrollWidth - box.clientWidth, table.scrollWidth - table.clientWidth);
  for (const element of table.querySelectorAll('tbody *')) {  // the column heads are visually hidden on a phone
    worst = Math.max(worst, element.getBoundingClientRect().right - right);
  }
  return Math.round(worst);
}"""

OPEN_DISCLOSURES = """(form) => {
  for (let d = form.closest('details'); d; d = d.parentElement.closest('details')) d.open = true;
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _close_a_line(page: Any, base: str) -> str:
    """Close a line of one of the staff member's published needs with a long reason; the need's address."""
    page.goto(f"{base}/needs")
    hrefs = page.locator("main a[href^='/needs/']").evaluate_all("links => links.map(link => link.pathname)")
    for href in dict.fromkeys(h for h in hrefs if h.split("/")[2].isdigit()):
        page.goto(f"{base}{href}")
        form = page.locator("form[action$='/close']").first
        if form.count():
            # The change forms sit in a closed disclosure under the table.
            form.evaluate(OPEN_DISCLOSURES)
            form.locator("input[name=reason]").fill(REASON)
            form.locator("button[type=submit]").click()
            page.wait_for_load_state()
            return href
    pytest.fail("no need with a line to close among the staff member's needs")


@pytest.mark.parametrize("locale", ["en", "zh_CN"])
def test_a_closed_lines_reason_fits_a_phone(browser: Any, demo_server: LiveServer, locale: str) -> None:
    base = demo_server.base_url
    staff = signed_in(browser, base, "staff", locale=locale, viewport=DESKTOP)
    try:
        need = _close_a_line(staff, base)
        phone = staff.context.browser.new_context(
            locale="zh-CN" if locale == "zh_CN" else "en-US",
            viewport=PHONE,
            storage_state=staff.context.storage_state(),
        ).new_page()
        try:
            phone.goto(f"{base}{need}")
            assert phone.locator(".need-lines-table").count() == 1
            assert REASON in phone.locator(".need-lines-table").inner_text()
            assert phone.evaluate(OVERFLOW) <= 0, f"{need}: the resource lines reach past their box on a phone"
            # Each card still says what its figures are (the column heads are hidden on a phone).
            labels = phone.locator(".need-lines-table td[data-label]").evaluate_all(
                "cells => cells.map(cell => getComputedStyle(cell, '::before').content)"
            )
            assert labels and all(label not in ("none", "normal", '""') for label in labels)
        finally:
            phone.context.close()
    finally:
        staff.context.close()
