"""A staff member's need page holds many small forms, most far below its top (publish, reject, verify, escalate,
cancel…): a refused one lists its problems at the top of the page, each linking down to its field, in the
reader's language, so a refusal at the bottom is not missed."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import Need, NeedStatus
from marketplace.settings import Settings
from tests.security_helpers import fetch, make_grid, post_form
from tests.test_need_pages import _delivered_need, _need, _staff_of
from tests.test_walk_error_banner_everywhere import assert_linked_to_fields, summary


def test_a_refused_verification_is_listed_at_the_top_and_linked_to_its_field(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _delivered_need(session, grid)
    _staff_of(client, session, grid)
    for lang, label in (("en", "The resident's satisfaction"), ("zh_CN", "居民满意度")):
        client.cookies.set("lang", lang)
        response = post_form(client, settings, f"/needs/{need.id}/verify", {"satisfaction": "", "comment": "x"})
        assert response.status_code == 400
        assert_linked_to_fields(response.text, "satisfaction-error")
        [(_target, text)] = summary(response.text)
        assert text.startswith(label), text
    assert fetch(session, Need, need.id).status is NeedStatus.COMPLETED


def test_a_rejection_without_a_reason_is_listed_at_the_top(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _need(session, grid)
    session.commit()
    _staff_of(client, session, grid)
    client.cookies.set("lang", "en")
    response = post_form(client, settings, f"/needs/{need.id}/reject", {"reason": " "})
    assert response.status_code == 400
    assert_linked_to_fields(response.text, "reject-reason")
    assert fetch(session, Need, need.id).status is NeedStatus.SUBMITTED
