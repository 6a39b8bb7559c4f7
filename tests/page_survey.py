"""The main pages of every role, and the checks run over each of them in a real Chromium: axe-core's
accessibility rules, no sideways scrolling, tap targets big enough to hit.

axe-core is vendored (tests/vendor/axe-core, MPL-2.0, version in ``AXE_VERSION``) so the check runs
offline and the same everywhere; it is evaluated through the DevTools protocol, which the page's
Content-Security-Policy does not restrict.
"""

from functools import cache
from pathlib import Path
from typing import Any

AXE_VERSION = "4.14.1"
AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.2 A and AA, plus axe's best practices; only serious and critical findings fail a test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
BLOCKING_IMPACTS = {"serious", "critical"}
ROLES = ("admin", "staff", "partner", "volunteer", "city")

# The pages each role works in; "{need}" is an open need of the street, found on the board.
PAGES: dict[str, list[str]] = {
    "admin": [
        "/",
        "/home",
        "/figures",
        "/needs",
        "/needs/{need}",
        "/needs/{need}/recommendations?kind=offers",
        "/needs/{need}/recommendations?kind=volunteers",
        "/review",
        "/rounds",
        "/escalations",
        "/offers",
        "/volunteers",
        "/admin",
        "/admin/organizations",
        "/admin/users",
        "/notifications",
    ],
    "staff": ["/home", "/needs", "/needs/{need}", "/escalations", "/offers", "/volunteers", "/notifications"],
    "partner": ["/home", "/projects/{need}", "/recommended", "/claims", "/offers", "/organization", "/notifications"],
    "volunteer": [
        "/home",
        "/projects/{need}",
        "/recommended",
        "/signups",
        "/volunteer/hours",
        "/volunteer/calendar",
        "/volunteer/profile",
        "/notifications",
    ],
    "city": ["/home", "/admin/city", "/figures", "/notifications"],
}


@cache
def axe_source() -> str:
    return AXE_SOURCE.read_text(encoding="utf-8")


def open_need(page: Any, base_url: str, role: str) -> int:
    """A need the role may open: for staff the first of their own need list; for the others an open need
    of the street with volunteers to recommend (so the cards are there to check), else the board's first."""
    if role == "staff":
        page.goto(f"{base_url}/needs")
        hrefs = page.locator("main a[href^='/needs/']").evaluate_all("links => links.map(link => link.pathname)")
        return next(int(href.split("/")[2]) for href in hrefs if href.split("/")[2].isdigit())
    page.goto(f"{base_url}/")
    hrefs = page.locator("a[href^='/projects/']").evaluate_all("links => links.map(link => link.pathname)")
    needs = list(dict.fromkeys(int(href.split("/")[2]) for href in hrefs))
    for need_id in needs[:12]:
        page.goto(f"{base_url}/needs/{need_id}/recommendations?kind=volunteers")
        if page.locator(".recommend-item").count():
            return need_id
    return needs[0]


def addresses(role: str, need_id: int) -> list[str]:
    return [path.replace("{need}", str(need_id)) for path in PAGES[role]]


def axe_violations(page: Any) -> list[dict]:
    """The serious and critical axe-core violations of the page as it is now, each with its first targets."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [" ".join(map(str, node["target"])) for node in violation["nodes"][:3]],
        }
        for violation in result["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def sideways_overflow(page: Any) -> int:
    """How many pixels the page scrolls sideways (0 when it fits the window)."""
    return int(page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth"))


# Every control one taps; a primary action is a filled button (not a quiet one).
TARGETS_SCRIPT = """
() => {
  const controls = document.querySelectorAll(
    "main button, main .button, main select, main input:not([type=hidden]), main summary, header button, header select"
  );
  const small = [];
  for (const el of controls) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (getComputedStyle(el).visibility === "hidden") continue;
    const primary = el.matches(".button:not(.button-quiet), button[type=submit]:not(.button-quiet):not(.link-button)");
    const need = primary ? 44 : 24;
    // A checkbox or radio counts with its label: tapping the label ticks the box.
    let target = box;
    if (el.labels && el.labels.length && el.matches("input[type=checkbox], input[type=radio]")) {
      const label = el.labels[0].getBoundingClientRect();
      const top = Math.min(box.top, label.top), bottom = Math.max(box.bottom, label.bottom);
      const left = Math.min(box.left, label.left), right = Math.max(box.right, label.right);
      target = {width: right - left, height: bottom - top};
    }
    if (target.height < need - 0.5 || target.width < 24 - 0.5) {
      const text = (el.innerText || el.value || el.name || el.tagName).trim().slice(0, 40);
      const size = `${Math.round(target.width)}x${Math.round(target.height)}`;
      small.push(`${el.tagName.toLowerCase()}.${[...el.classList].join(".")} "${text}" ${size} < ${need}`);
    }
  }
  return small;
}
"""


def small_targets(page: Any) -> list[str]:
    """Controls smaller than 24 px, or primary actions lower than 44 px."""
    return list(page.evaluate(TARGETS_SCRIPT))


def selects_without_arrow(page: Any) -> list[str]:
    """Single-choice selects that look like text fields: no native arrow (appearance: none) and no drawn one."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll("select:not([multiple]):not([size])")]
                .filter(el => el.getClientRects().length > 0)
                .filter(el => getComputedStyle(el).appearance === "none")
                .filter(el => getComputedStyle(el).backgroundImage === "none")
                .map(el => el.name || el.id || el.outerHTML.slice(0, 60))"""
        )
    )
