"""A rejection refused for its reason lists the problem above the queue like every other form: the item's
number and "Reason for rejecting", linked down to that item's reason field, in the reader's language. A queue
narrowed to one need whose last item was decided leads back to that need."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches.models import Match, MatchStatus
from marketplace.settings import Settings
from tests.security_helpers import fetch, post_form, sign_in_as
from tests.test_review_pages import _line_claims
from tests.test_walk_error_banner_everywhere import assert_linked_to_fields, summary


def test_a_reject_without_reason_is_listed_and_linked_to_its_field(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    ids, _, _ = _line_claims(client, session, 1, "10")
    sign_in_as(client, session, Role.ADMIN)
    for lang, label in (("en", f"Reason for rejecting #{ids[0]}"), ("zh_CN", f"#{ids[0]} 的驳回理由")):
        client.cookies.set("lang", lang)
        response = post_form(client, settings, f"/review/{ids[0]}/reject", {"reason": "  "})
        assert response.status_code == 400
        assert_linked_to_fields(response.text, f"reason-{ids[0]}")
        [(_target, text)] = summary(response.text)
        assert label in text, text
    assert fetch(session, Match, ids[0]).status is MatchStatus.PROPOSED


def test_a_need_whose_last_item_is_decided_leads_back_to_the_need(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    ids, _, title = _line_claims(client, session, 1, "10")
    need_id = fetch(session, Match, ids[0]).need_id
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    assert post_form(client, settings, f"/review/{ids[0]}/reject", {"reason": "重复认领"}).status_code == 303
    page = client.get("/review", params={"need": str(need_id)}).text
    assert f"Nothing of {title} is waiting for review." in page
    assert f'<a href="/needs/{need_id}">Back to the need</a>' in page
    client.cookies.set("lang", "zh_CN")
    assert f"“{title}”已没有待审核的事项。" in client.get("/review", params={"need": str(need_id)}).text
