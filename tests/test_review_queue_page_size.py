"""The review queue shows a page of QUEUE_PAGE_SIZE cards: the next page shows the rest, the tabs and totals
count every pending item on every page, an item decided from the second page leaves it, and every card's
decision forms carry the CSRF token and the view they were posted from (rendered once for the page), in
both languages."""

import re
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.review_pages import QUEUE_PAGE_SIZE
from marketplace.settings import Settings
from tests.security_helpers import post_form, sign_in_as
from tests.test_review_pages import _line_claims


def _shown(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'name="ids" value="(\d+)"', page)]


def _all_tab_count(page: str) -> int:
    found = re.search(r'aria-label="Kinds of items">\s*<a [^>]*>All <span class="review-count">([\d,]+)</span>', page)
    assert found is not None
    return int(found.group(1).replace(",", ""))


def test_the_second_page_shows_the_rest_and_every_page_counts_them_all(
    client: TestClient[Any], session: Session
) -> None:
    ids, _, _ = _line_claims(client, session, QUEUE_PAGE_SIZE + 4, "500")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    first = client.get("/review?sort=oldest")
    second = client.get("/review?sort=oldest&page=2")
    assert first.status_code == 200 and second.status_code == 200
    assert _shown(first.text) == ids[:QUEUE_PAGE_SIZE]
    assert _shown(second.text) == ids[QUEUE_PAGE_SIZE:]
    for page in (first.text, second.text):
        assert f"{len(ids)} items pending" in page and _all_tab_count(page) == len(ids)
    assert "Page 1 of 2" in first.text and "Page 2 of 2" in second.text
    assert 'href="/review?sort=oldest&amp;page=2"' in first.text  # the way to the rest keeps the sort
    assert f"all {QUEUE_PAGE_SIZE} on this page" in first.text and "all 4 on this page" in second.text


def test_items_decided_from_the_second_page_leave_it_and_the_counts(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    ids, _, _ = _line_claims(client, session, QUEUE_PAGE_SIZE + 4, "500")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    where = {"sort": "oldest", "page": "2"}
    approved = post_form(client, settings, f"/review/{ids[-1]}/approve", where)
    assert approved.status_code == 303
    assert approved.headers["location"] == f"/review?done=approved&id={ids[-1]}&sort=oldest&page=2"
    rejected = post_form(client, settings, f"/review/{ids[-2]}/reject", {**where, "reason": "重复认领"})
    assert rejected.status_code == 303
    back = client.get(rejected.headers["location"])
    assert back.status_code == 200
    assert _shown(back.text) == ids[QUEUE_PAGE_SIZE:-2]
    assert f"{len(ids) - 2} items pending" in back.text and _all_tab_count(back.text) == len(ids) - 2
    assert f"Item #{ids[-2]}" in back.text  # the notice names what was decided
    assert _shown(client.get("/review?sort=oldest").text) == ids[:QUEUE_PAGE_SIZE]  # the first page unchanged


def test_every_decision_form_carries_the_token_and_the_view_in_both_languages(
    client: TestClient[Any], session: Session
) -> None:
    ids, _, _ = _line_claims(client, session, QUEUE_PAGE_SIZE + 2, "500")
    sign_in_as(client, session, Role.ADMIN)
    for language, approve, reason in (("en", "Approve", "Reason for rejecting"), ("zh_CN", "通过", "驳回理由")):
        client.cookies.set("lang", language)
        page = client.get("/review?kind=offer_line&sort=oldest&page=2").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        forms = re.findall(r'<form[^>]*action="/review/(\d+)/(approve|reject)"[^>]*>(.*?)</form>', page, re.S)
        assert sorted({int(match_id) for match_id, _, _ in forms}) == ids[QUEUE_PAGE_SIZE:]
        assert len(forms) == 2 * 2
        for match_id, action, body in forms:
            assert f'name="csrf_token" value="{token.group(1)}"' in body, (match_id, action)
            for name, value in (("kind", "offer_line"), ("sort", "oldest"), ("page", "2")):
                assert f'<input type="hidden" name="{name}" value="{value}">' in body, (match_id, action, name)
            if action == "approve":
                assert f">{approve}</button>" in body
            else:
                assert f'<label for="reason-{match_id}">{reason}</label>' in body
