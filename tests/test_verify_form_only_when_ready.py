"""The need page offers the verification form only when the need is ready to verify (待验收): while something
still stands in the way it lists what (the blockers) where the form would be, with no form to submit and be
refused. The refusal of an early verification stays as it was, on the page and in the API."""

from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need, NeedStatus
from marketplace.settings import Settings
from tests import matches_factories as mf
from tests.security_helpers import make_grid, post_form, sign_in_as

LANGS = {"en": "en", "zh_CN": "zh-CN"}


def _blocked(session: Session) -> tuple[Need, int, int]:
    """A need under way with a line still short and a shift not over."""
    need = mf.project(session, make_grid(session), NeedStatus.IN_PROGRESS, title="修缮凉亭")
    line = mf.line(session, need, "50")
    shift = mf.shift(session, need, title="搬运")
    return need, line.id or 0, shift.id or 0


@pytest.mark.parametrize(("lang", "waiting"), [("en", "Before it can be verified:"), ("zh_CN", "验收前")])
def test_a_blocked_need_lists_what_it_waits_for_and_has_no_form(
    client: TestClient[Any], session: Session, lang: str, waiting: str
) -> None:
    need, _line, _shift = _blocked(session)
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", lang)
    page = client.get(f"/needs/{need.id}")
    assert page.status_code == 200
    assert 'id="verify-blockers"' in page.text and "搬运" in page.text and waiting in page.text
    assert f'action="/needs/{need.id}/verify"' not in page.text
    assert 'name="satisfaction"' not in page.text
    assert 'id="ready-to-verify"' not in page.text


def test_a_ready_need_has_the_form_and_no_blockers(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, make_grid(session), NeedStatus.COMPLETED, title="已完成的修缮")
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = client.get(f"/needs/{need.id}")
    assert f'action="/needs/{need.id}/verify"' in page.text and 'name="satisfaction"' in page.text
    assert 'id="ready-to-verify"' in page.text and 'id="verify-blockers"' not in page.text


def test_the_refusals_stay_as_they_were(client: TestClient[Any], session: Session, settings: Settings) -> None:
    need, line_id, shift_id = _blocked(session)
    boss = mf.admin(session)
    refused = client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 5}, headers=boss.headers)
    assert refused.status_code == 409, refused.text
    extra = refused.json()["extra"]
    assert extra["code"] == "not_verifiable_yet"
    assert [text.split(" ")[:3] for text in extra["blockers"]] == [
        ["resource", "line", f"#{line_id}"],
        ["shift", f"#{shift_id}", "is"],
    ]
    # A form sent anyway (an old tab) is refused on the page too, which shows what it waits for.
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    page = post_form(client, settings, f"/needs/{need.id}/verify", {"satisfaction": "5"})
    assert page.status_code == 409
    assert "The need cannot be verified yet; see what it still waits for." in page.text
    assert 'id="verify-blockers"' in page.text
    session.expire_all()
    assert session.get(Need, need.id).status is NeedStatus.IN_PROGRESS  # type: ignore[union-attr]
