"""In Chromium on the demo, at desktop width: a proposal still waiting for its candidate's answer says so on
a line of its own, and its reject field keeps the card's width (it used to be squeezed into a sliver beside
the sentence, too narrow to type a reason in). Cards that can be approved keep Approve beside the field."""

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import BROWSER_MARKS, DESKTOP, launch_chromium, signed_in
from tests.live_server import LiveServer

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _width(page: Any, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return float(box["width"])


def test_a_waiting_proposal_leaves_the_reject_field_the_cards_width(browser: Any, demo_server: LiveServer) -> None:
    base = demo_server.base_url
    admin = signed_in(browser, base, "admin", locale="en", viewport=DESKTOP)
    waiting = "li.review-card:has(p.review-waiting)"
    page_number = 1
    while True:  # the demo's round proposals wait for their candidates; find a page that shows one
        admin.goto(f"{base}/review?page={page_number}")
        if admin.locator(waiting).count():
            break
        assert admin.locator("a[rel=next]").count(), "the demo has a proposal waiting for its candidate's answer"
        page_number += 1
    card = _width(admin, waiting)
    sentence = _width(admin, f"{waiting} p.review-waiting")
    field = _width(admin, f"{waiting} .review-reject input[name=reason]")
    assert sentence > 0.8 * card  # its own line, not a column beside the form
    assert field > 0.6 * card, (field, card)

    ready = "li.review-card:not(:has(p.review-waiting))"
    admin.goto(f"{base}/review")
    approve = admin.locator(f"{ready} button[data-approve]").first.bounding_box()
    reason = admin.locator(f"{ready} .review-reject input[name=reason]").first.bounding_box()
    assert approve is not None and reason is not None
    assert abs(approve["y"] + approve["height"] - (reason["y"] + reason["height"])) < 12  # side by side
    assert reason["width"] > 0.5 * _width(admin, ready)
    admin.context.close()
