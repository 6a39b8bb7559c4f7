"""A published need nobody holds a part of yet keeps asking for something: closing its last open line,
lowering it to nothing still needed, or cancelling its last shift is refused whole (409 naming the field,
on the page next to that field and above, in both languages); with another line or shift left, or with an
approved claim that carries the need on to completion, the same change goes through."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.i18n import gettext
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.needs.services import LAST_THING_ASKED
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests import factories
from tests import matches_factories as mf
from tests.needs_helpers import StaffWithToken, staff_with_token
from tests.security_helpers import audit_events, csrf_for, fetch, reading, sign_in_as

EN_MESSAGE = "This is the last thing the project still asks for"
ZH_MESSAGE = "这是该项目仍在征集的最后一项"


def _staff(session: Session, need: Need) -> StaffWithToken:
    with reading(session) as fresh:
        grid = fresh.get(Grid, need.grid_id)
    return staff_with_token(session, grid)


def _version(session: Session, need_id: int) -> int:
    return int(fetch(session, Need, need_id).version)


def _unchanged_need(session: Session, need: Need, version: int) -> None:
    row = fetch(session, Need, need.id)
    assert row.status is NeedStatus.PUBLISHED and row.version == version


# --- the API ----------------------------------------------------------------------------------------


def test_closing_the_last_open_line_is_refused_and_nothing_is_written(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session, title="楼道照明")
    line = mf.line(session, need, "10")
    staff = _staff(session, need)
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, "10")
    proposed = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "3"},
        headers=partner.headers,
    )
    assert proposed.status_code == 201, proposed.text
    version = _version(session, need.id)
    answer = client.post(
        f"/api/v1/needs/{need.id}/lines/{line.id}/close",
        json={"version": version, "reason": "够了"},
        headers=staff.headers,
    )
    assert answer.status_code == 409, answer.text
    said = gettext(LAST_THING_ASKED)  # the reader's language (Chinese by default); programs compare the code
    assert answer.json()["extra"] == [{"key": "reason", "message": said, "code": "nothing_asked"}]
    row = fetch(session, ResourceLine, line.id)
    assert row.closed_at is None and row.still_needed == 10
    # The proposed claim it would have released is still waiting; nothing was audited.
    assert fetch(session, Match, proposed.json()["id"]).status is MatchStatus.PROPOSED
    assert audit_events(session, "need.line.close") == []
    _unchanged_need(session, need, version)


def test_lowering_the_last_line_to_nothing_still_needed_is_refused(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    line = factories.add_resource_line(session, need, "10", still_needed="4")  # 6 found elsewhere
    session.commit()
    staff = _staff(session, need)
    version = _version(session, need.id)
    answer = client.patch(
        f"/api/v1/needs/{need.id}/lines/{line.id}", json={"version": version, "quantity": "6"}, headers=staff.headers
    )
    assert answer.status_code == 409 and answer.json()["extra"][0]["key"] == "quantity"
    assert fetch(session, ResourceLine, line.id).quantity == 10
    lower = client.patch(
        f"/api/v1/needs/{need.id}/lines/{line.id}", json={"version": version, "quantity": "7"}, headers=staff.headers
    )
    assert lower.status_code == 200, lower.text  # still needs 1: fine
    assert fetch(session, ResourceLine, line.id).still_needed == 1


def test_cancelling_the_last_shift_is_refused(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    shift = mf.shift(session, need, slots=3)
    staff = _staff(session, need)
    version = _version(session, need.id)
    answer = client.post(
        f"/api/v1/needs/{need.id}/shifts/{shift.id}/cancel",
        json={"version": version, "reason": "下雨"},
        headers=staff.headers,
    )
    assert answer.status_code == 409 and answer.json()["extra"][0]["key"] == "reason"
    assert fetch(session, Shift, shift.id).cancelled_at is None
    _unchanged_need(session, need, version)


def test_with_something_else_asked_the_same_changes_go_through(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    first, second = mf.line(session, need, "10"), mf.line(session, need, "5")
    shift = mf.shift(session, need, slots=2)
    staff = _staff(session, need)
    closed = client.post(
        f"/api/v1/needs/{need.id}/lines/{first.id}/close",
        json={"version": _version(session, need.id), "reason": "够了"},
        headers=staff.headers,
    )
    assert closed.status_code == 200, closed.text
    cancelled = client.post(
        f"/api/v1/needs/{need.id}/shifts/{shift.id}/cancel",
        json={"version": _version(session, need.id), "reason": "下雨"},
        headers=staff.headers,
    )
    assert cancelled.status_code == 200, cancelled.text
    last = client.post(
        f"/api/v1/needs/{need.id}/lines/{second.id}/close",
        json={"version": _version(session, need.id), "reason": "也够了"},
        headers=staff.headers,
    )
    assert last.status_code == 409  # now it is the last thing asked
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED


def test_an_approved_claim_lets_the_last_line_close_and_the_need_go_on(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    staff, boss, partner = _staff(session, need), mf.admin(session), mf.partner(session)
    offer = mf.offer_of(session, partner.user, "10")
    made = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "6"},
        headers=partner.headers,
    )
    match_id = made.json()["id"]
    decided = client.post(f"/api/v1/matches/{match_id}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert decided.status_code == 200, decided.text
    closed = client.post(
        f"/api/v1/needs/{need.id}/lines/{line.id}/close",
        json={"version": _version(session, need.id), "reason": "六个够用"},
        headers=staff.headers,
    )
    assert closed.status_code == 200, closed.text
    assert fetch(session, Need, need.id).status is NeedStatus.MATCHED


def test_a_need_not_yet_published_may_lose_its_last_line(client: TestClient[Any], session: Session) -> None:
    """Before publishing nothing is on the board: the rule waits for the publish button."""
    need = mf.project(session, status=NeedStatus.UNDER_REVIEW)
    line = mf.line(session, need, "10")
    staff = _staff(session, need)
    closed = client.post(
        f"/api/v1/needs/{need.id}/lines/{line.id}/close",
        json={"version": _version(session, need.id), "reason": "居民自己解决了"},
        headers=staff.headers,
    )
    assert closed.status_code == 200, closed.text
    refused = client.post(f"/api/v1/needs/{need.id}/publish", json={}, headers=staff.headers)
    assert refused.status_code == 409 and refused.json()["extra"][0]["key"] == "lines"


# --- the staff page ---------------------------------------------------------------------------------


def test_the_page_shows_the_refusal_next_to_the_form_in_both_languages(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = mf.project(session, title="小区绿化")
    line = mf.line(session, need, "10")
    shift_need = mf.project(session, title="清扫楼道")
    shift = mf.shift(session, shift_need, slots=2)
    sign_in_as(client, session, Role.STAFF, grid_ids=[need.grid_id, shift_need.grid_id])
    token = csrf_for(client, settings)
    for lang, message in (("en", EN_MESSAGE), ("zh-CN", ZH_MESSAGE)):
        client.cookies.set("lang", lang)
        version = _version(session, need.id)
        close = client.post(
            f"/needs/{need.id}/lines/{line.id}/close",
            data={"csrf_token": token, "version": str(version), "reason": "够了"},
        )
        assert close.status_code == 409
        assert f'id="line-{line.id}-close_reason-error"' in close.text and message in close.text
        assert f'id="line-{line.id}" open' in close.text and 'class="banner banner-problem"' in close.text
        assert fetch(session, ResourceLine, line.id).closed_at is None
        _unchanged_need(session, need, version)

        version = _version(session, shift_need.id)
        cancel = client.post(
            f"/needs/{shift_need.id}/shifts/{shift.id}/cancel",
            data={"csrf_token": token, "version": str(version), "reason": "下雨"},
        )
        assert cancel.status_code == 409
        assert f'id="shift-{shift.id}-cancel_reason-error"' in cancel.text and message in cancel.text
        assert fetch(session, Shift, shift.id).cancelled_at is None
        _unchanged_need(session, shift_need, version)
