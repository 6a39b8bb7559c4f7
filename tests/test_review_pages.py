"""The review queue page: admins see pending items with their conflicts and decide them; others may not."""

from decimal import Decimal
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchStatus
from marketplace.matches.review_pages import QUEUE_PAGE_SIZE
from marketplace.offers.models import Offer
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.security_helpers import audit_events, fetch, post_form, sign_in_as


def _line_claims(client: TestClient[Any], session: Session, n: int, left: str) -> tuple[list[int], Offer, str]:
    need = mf.project(session, title="楼道照明改造")
    line = mf.line(session, need, "100")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining=left)
    ids = []
    for _ in range(n):
        made = client.post(
            f"/api/v1/projects/{need.id}/claims",
            json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"},
            headers=person.headers,
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids, offer, need.title


def test_admin_sees_pending_items_with_conflicts(client: TestClient[Any], session: Session) -> None:
    ids, offer, title = _line_claims(client, session, 2, "10")
    offer.remaining_quantity = Decimal("1")  # the partner gave most of it elsewhere: both claims now short
    session.add(offer)
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get("/review")
    assert page.status_code == 200
    assert title in page.text and "Resource line claims" in page.text
    assert "Not enough left on the offer" in page.text
    for match_id in ids:
        assert f'action="/review/{match_id}/approve"' in page.text
        assert f'action="/review/{match_id}/reject"' in page.text
        assert f'name="ids" value="{match_id}"' in page.text
    assert page.text.count('name="csrf_token"') >= 1 + 2 * len(ids) + 1  # sign-out, per item, bulk


def test_approve_and_reject_change_status_and_audit(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    ids, offer, _ = _line_claims(client, session, 2, "10")
    sign_in_as(client, session, Role.ADMIN)
    approved = post_form(client, settings, f"/review/{ids[0]}/approve")
    assert approved.status_code == 303 and approved.headers["location"] == f"/review?done=approved&id={ids[0]}"
    rejected = post_form(client, settings, f"/review/{ids[1]}/reject", {"reason": "数量重复"})
    assert rejected.status_code == 303
    assert fetch(session, Match, ids[0]).status is MatchStatus.APPROVED
    row = fetch(session, Match, ids[1])
    assert row.status is MatchStatus.REJECTED and row.decision_reason == "数量重复"
    assert fetch(session, Offer, offer.id).remaining_quantity == 8
    assert len(audit_events(session, "match.approve")) == 1 and len(audit_events(session, "match.reject")) == 1
    client.cookies.set("lang", "en")
    notice = client.get(f"/review?done=approved&id={ids[0]}").text
    assert f"Item #{ids[0]} (" in notice and ") was approved." in notice  # with the project's title
    again = post_form(client, settings, f"/review/{ids[0]}/approve")
    assert again.status_code == 409 and "decided already" in again.text


def test_reject_without_reason_is_400_and_changes_nothing(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    ids, _, _ = _line_claims(client, session, 1, "10")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    response = post_form(client, settings, f"/review/{ids[0]}/reject", {"reason": "  "})
    assert response.status_code == 400
    assert f'id="reason-{ids[0]}-error"' in response.text and "Give a reason" in response.text
    assert fetch(session, Match, ids[0]).status is MatchStatus.PROPOSED
    assert audit_events(session, "match.reject") == []


def test_bulk_approve_reports_approved_and_failed(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    ids, offer, _ = _line_claims(client, session, 3, "4")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    result = post_form(client, settings, "/review/bulk-approve", {"ids": [str(i) for i in ids]})
    assert result.status_code == 200
    assert "Not enough left" in result.text and f"#{ids[2]}" in result.text
    assert [fetch(session, Match, i).status for i in ids] == [
        MatchStatus.APPROVED,
        MatchStatus.APPROVED,
        MatchStatus.PROPOSED,
    ]
    assert fetch(session, Offer, offer.id).remaining_quantity == 0
    assert len(audit_events(session, "match.approve")) == 2
    single = post_form(client, settings, f"/review/{ids[2]}/approve")
    assert single.status_code == 409 and "Not enough left" in single.text
    assert post_form(client, settings, "/review/bulk-approve", {}).status_code == 400


def test_non_admins_are_refused_and_anonymous_sent_to_login(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    ids, _, _ = _line_claims(client, session, 1, "10")
    anonymous = client.get("/review", follow_redirects=False)
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    sign_in_as(client, session, Role.STAFF)
    assert client.get("/review").status_code == 403
    assert post_form(client, settings, f"/review/{ids[0]}/approve").status_code == 403
    assert fetch(session, Match, ids[0]).status is MatchStatus.PROPOSED


def test_queue_pages_by_kind_and_comes_back_to_the_same_page(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    ids, _, _ = _line_claims(client, session, QUEUE_PAGE_SIZE + 3, "200")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    first = client.get("/review?kind=offer_line")
    assert first.text.count('name="ids" value=') == QUEUE_PAGE_SIZE and "Page 1 of 2" in first.text
    second = client.get("/review?kind=offer_line&page=2")
    assert second.text.count('name="ids" value=') == 3
    assert f'name="ids" value="{ids[-1]}"' in second.text and f'name="ids" value="{ids[0]}"' not in second.text
    assert client.get("/review?kind=volunteer_shift").text.count('name="ids" value=') == 0
    decided = post_form(client, settings, f"/review/{ids[-1]}/approve", {"kind": "offer_line", "page": "2"})
    assert decided.headers["location"] == f"/review?done=approved&id={ids[-1]}&kind=offer_line&page=2"


def test_scores_are_explained_in_sentences_in_both_languages(client: TestClient[Any], session: Session) -> None:
    ids, _, _ = _line_claims(client, session, 1, "10")
    match = fetch(session, Match, ids[0])
    match.score = 0.72
    match.explanation = [
        {"feature": "quantity_coverage", "value": 0.64, "contribution": 0.19},
        {"feature": "distance_km", "value": 2.14, "contribution": 0.1},
    ]
    session.add(match)
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    english = client.get("/review").text
    assert "covers 64% of what is still needed" in english and "2.1 km from the grid" in english
    client.cookies.set("lang", "zh_CN")
    chinese = client.get("/review").text
    assert "可满足仍需数量的 64%" in chinese and "quantity_coverage" not in chinese


def test_the_queue_of_one_need_keeps_to_it(client: TestClient[Any], session: Session, settings: Settings) -> None:
    mine, _, title = _line_claims(client, session, 2, "100")
    others, _, _ = _line_claims(client, session, 2, "100")
    need_id = fetch(session, Match, mine[0]).need_id
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get(f"/review?need={need_id}").text
    assert "Only the items of" in page and title in page
    assert all(f'name="ids" value="{i}"' in page for i in mine)
    assert not any(f'name="ids" value="{i}"' in page for i in others)
    decided = post_form(client, settings, f"/review/{mine[0]}/approve", {"need": str(need_id)})
    assert decided.headers["location"] == f"/review?done=approved&id={mine[0]}&need={need_id}"
    assert client.get("/review?need=0").status_code == 400
