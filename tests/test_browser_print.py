"""Printing (static/css/print.css): lists print as their content alone, with no site chrome, buttons, forms
or pagination, and their tables whole within the page's width; the certificate prints alone on one
landscape A4 sheet. In a real Chromium, through page.pdf() and print media emulation."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS

# A4 less 12 mm margins each side, in CSS pixels (96 per inch): the width a printed page has.
A4_CONTENT_WIDTH = round((210 - 24) / 25.4 * 96)
A4_PORTRAIT = (595, 842)
A4_LANDSCAPE = (842, 595)
LISTS = [
    ("admin", "/"),
    ("admin", "/needs"),
    ("admin", "/offers"),
    ("admin", "/volunteers"),
    ("volunteer", "/volunteer/hours"),
    ("admin", "/figures"),  # charts.css's print rules on print.css's sheet
]
HIDDEN_ON_PAPER = ".site-header, .site-footer, .pagination, form, button, .button, nav, select, input"

PAPER_CHECK = """
(hidden) => {
  const shown = [...document.querySelectorAll(hidden)].filter(el => el.getClientRects().length > 0);
  const wide = [...document.querySelectorAll("main table")].filter(
    table => table.getBoundingClientRect().right > document.documentElement.clientWidth + 1);
  return {
    shown: shown.map(el => el.tagName.toLowerCase() + "." + [...el.classList].join(".")).slice(0, 5),
    wide: wide.map(table => table.className + " " + Math.round(table.getBoundingClientRect().width)),
    underlined: [...document.querySelectorAll("main a")].filter(
      a => getComputedStyle(a).textDecorationLine !== "none").length,
  };
}
"""


STYLESHEETS = Path(__file__).resolve().parent.parent / "marketplace" / "static" / "css"
PAGE_RULE = re.compile(r"@page\s*([\w-]*)\s*\{([^}]*)\}")


def test_one_unnamed_page_rule_and_no_important_in_page_rules() -> None:
    """Chromium applies a later unnamed @page over a named one (the certificate's landscape sheet): the one
    unnamed @page is print.css's, and named pages win without an !important."""
    unnamed: list[str] = []
    for path in sorted(STYLESHEETS.glob("*.css")):
        for name, body in PAGE_RULE.findall(path.read_text(encoding="utf-8")):
            assert "!important" not in body, f"{path.name}: @page {name} needs no !important"
            if not name:
                unnamed.append(path.name)
    assert unnamed == ["print.css"]


def page_sizes(pdf: bytes) -> list[tuple[int, int]]:
    """Every page's size in points, from the PDF's MediaBox entries."""
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [(round(float(width)), round(float(height))) for width, height in boxes]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.mark.parametrize(("role", "path"), LISTS)
def test_lists_print_their_content_alone_and_whole(browser: Any, demo_server: LiveServer, role: str, path: str) -> None:
    page = signed_in(
        browser, demo_server.base_url, role, locale="en", viewport={"width": A4_CONTENT_WIDTH, "height": 1000}
    )
    try:
        page.goto(f"{demo_server.base_url}{path}")
        page.emulate_media(media="print")
        paper = page.evaluate(PAPER_CHECK, HIDDEN_ON_PAPER)
        assert paper["shown"] == [], f"{path} prints controls or chrome: {paper['shown']}"
        assert paper["wide"] == [], f"{path} prints tables wider than A4: {paper['wide']}"
        assert paper["underlined"] == 0, f"{path} prints links as links"
        pdf = page.pdf(prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF") and set(page_sizes(pdf)) == {A4_PORTRAIT}
    finally:
        page.context.close()


def test_the_certificate_prints_alone_on_one_landscape_a4_sheet(browser: Any, demo_server: LiveServer) -> None:
    base = demo_server.base_url
    page = signed_in(browser, base, "volunteer", locale="en")
    try:
        page.goto(f"{base}/volunteer/certificates")
        if not page.locator("a.cert-code").count():
            page.locator("form.cert-issue button[type=submit]").click()
            page.wait_for_load_state()
            page.goto(f"{base}/volunteer/certificates")
        page.goto(base + page.locator("a.cert-code").first.get_attribute("href"))
        page.emulate_media(media="print")
        assert page.evaluate(PAPER_CHECK, HIDDEN_ON_PAPER + ", .cert-actions")["shown"] == []
        pdf = page.pdf(prefer_css_page_size=True)
        assert page_sizes(pdf) == [A4_LANDSCAPE]
    finally:
        page.context.close()
