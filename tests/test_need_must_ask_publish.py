"""A need must ask for something to be published: the staff page's publish button, the JSON API and a need
that came in through an import all refuse a need with no item still needed and no shift with a free place
(409 naming ``lines``, in both languages, nothing written); a need with one line or one shift publishes."""

from datetime import timedelta
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.i18n import gettext
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.services import NOTHING_ASKED, asks_for_something
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests import factories
from tests.needs_helpers import need_body, staff_with_token
from tests.security_helpers import audit_events, csrf_for, fetch, make_grid, post_form, reading, sign_in_as
from tests.test_need_exchange import HEADER, upload

EN_MESSAGE = "Add at least one item or volunteer shift before publishing"
ZH_MESSAGE = "发布前请至少添加一项资源或一个志愿者班次"


def _submitted(session: Session, grid: Grid, **fields: Any) -> Need:
    need = factories.make_need(session, grid, NeedStatus.SUBMITTED, **fields)
    session.commit()
    return need


def _empty_variants(session: Session, need: Need, variant: str) -> None:
    """Lines and shifts that all ask for nothing."""
    if variant == "nothing":
        return
    if variant == "line_needing_zero":
        factories.add_resource_line(session, need, "10", still_needed="0")
    elif variant == "closed_line":
        factories.add_resource_line(session, need, "10", closed_at=utcnow(), closed_reason="够了")
    elif variant == "cancelled_shift":
        factories.add_shift(session, need, 3, cancelled_at=utcnow(), cancel_reason="下雨")
    elif variant == "full_shift":
        factories.add_shift(session, need, 2, confirmed=2)
    session.commit()


VARIANTS = ["nothing", "line_needing_zero", "closed_line", "cancelled_shift", "full_shift"]


def _unchanged(session: Session, need: Need) -> None:
    row = fetch(session, Need, need.id)
    assert row.status is NeedStatus.SUBMITTED and row.version == need.version and row.published_at is None
    assert audit_events(session, "need.publish") == []


# --- the staff page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_publish_button_refuses_a_need_that_asks_for_nothing(
    client: TestClient[Any], session: Session, settings: Settings, variant: str
) -> None:
    grid = make_grid(session)
    need = _submitted(session, grid)
    _empty_variants(session, need, variant)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    client.cookies.set("lang", "en")
    response = post_form(client, settings, f"/needs/{need.id}/publish", {"version": str(need.version)})
    assert response.status_code == 409
    assert 'id="publish-error"' in response.text and EN_MESSAGE in response.text
    assert 'aria-describedby="publish-error"' in response.text
    assert 'class="banner banner-problem"' in response.text  # said at the top too
    assert f'href="/needs/{need.id}/edit"' in response.text
    _unchanged(session, need)


def test_the_refusal_is_in_chinese_for_a_chinese_reader(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = _submitted(session, grid)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    client.cookies.set("lang", "zh-CN")
    response = post_form(client, settings, f"/needs/{need.id}/publish", {"version": str(need.version)})
    assert response.status_code == 409
    assert ZH_MESSAGE in response.text and EN_MESSAGE not in response.text
    _unchanged(session, need)


@pytest.mark.parametrize("part", ["line", "shift"])
def test_a_need_with_one_line_or_one_shift_publishes_from_the_page(
    client: TestClient[Any], session: Session, settings: Settings, part: str
) -> None:
    grid = make_grid(session)
    need = _submitted(session, grid)
    if part == "line":
        factories.add_resource_line(session, need, "5")
    else:
        factories.add_shift(session, need, 2, starts_at=utcnow() + timedelta(days=3))  # a shift still to come
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    response = post_form(client, settings, f"/needs/{need.id}/publish", {"version": str(need.version)})
    assert response.status_code == 303 and response.headers["location"] == f"/needs/{need.id}?done=published"
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED


def test_a_need_given_a_line_through_the_edit_form_then_publishes(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    """The way out the error points to: Edit adds a line; publishing then works."""
    grid = make_grid(session)
    need = _submitted(session, grid, title="楼道扶手松动")
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    refused = post_form(client, settings, f"/needs/{need.id}/publish", {"version": "1"})
    assert refused.status_code == 409
    form = client.get(f"/needs/{need.id}/edit")
    assert form.status_code == 200
    edit = {
        "csrf_token": csrf_for(client, settings),
        "version": "1",
        "title": need.title,
        "description": need.description,
        "category": need.category.value,
        "grid_id": str(grid.id),
        "urgency": need.urgency.value,
        "line-0-kind": "service",
        "line-0-category": need.category.value,
        "line-0-quantity": "2",
        "line-0-unit": "次",
        "line-0-description": "上门加固",
    }
    saved = client.post(f"/needs/{need.id}/edit", data=edit, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    with reading(session) as fresh:
        assert asks_for_something(fresh, need.id)
    version = str(fetch(session, Need, need.id).version)
    done = post_form(client, settings, f"/needs/{need.id}/publish", {"version": version})
    assert done.status_code == 303
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED


# --- the API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("with_version", [True, False])
def test_the_api_refuses_to_publish_a_need_that_asks_for_nothing(
    client: TestClient[Any], session: Session, variant: str, with_version: bool
) -> None:
    staff = staff_with_token(session)
    need = _submitted(session, staff.grid)
    _empty_variants(session, need, variant)
    body = {"version": need.version} if with_version else {}
    response = client.post(f"/api/v1/needs/{need.id}/publish", json=body, headers=staff.headers)
    assert response.status_code == 409, response.text
    answer = response.json()
    # The code and the field; the sentence in the reader's language (Chinese by default).
    assert answer["extra"] == [{"key": "lines", "message": gettext(NOTHING_ASKED), "code": "nothing_asked"}]
    assert answer["detail"] == f"lines: {gettext(NOTHING_ASKED)}" and gettext(NOTHING_ASKED) != NOTHING_ASKED
    _unchanged(session, need)


def test_an_api_need_recorded_without_lines_or_shifts_cannot_be_published_until_it_asks(
    client: TestClient[Any], session: Session
) -> None:
    staff = staff_with_token(session)
    made = client.post(
        "/api/v1/needs", json=need_body(staff.grid.id, resource_lines=[], shifts=[]), headers=staff.headers
    )
    assert made.status_code == 201, made.text
    need_id = made.json()["id"]
    refused = client.post(f"/api/v1/needs/{need_id}/publish", json={"version": 1}, headers=staff.headers)
    assert refused.status_code == 409 and refused.json()["extra"][0]["key"] == "lines"
    # The review step is unaffected: taking it into review is not publishing.
    reviewed = client.post(f"/api/v1/needs/{need_id}/review", json={"version": 1}, headers=staff.headers)
    assert reviewed.status_code == 200
    assert fetch(session, Need, need_id).status is NeedStatus.UNDER_REVIEW


def test_the_api_publishes_a_need_that_asks_for_something(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    made = client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=staff.headers)
    need_id = made.json()["id"]
    published = client.post(f"/api/v1/needs/{need_id}/publish", json={"version": 1}, headers=staff.headers)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published"


def test_a_stale_version_or_a_wrong_status_still_answer_as_before(client: TestClient[Any], session: Session) -> None:
    """An empty need with a stale version is a version conflict; a rejected one a wrong status (both 409)."""
    staff = staff_with_token(session)
    need = _submitted(session, staff.grid, version=3)
    stale = client.post(f"/api/v1/needs/{need.id}/publish", json={"version": 2}, headers=staff.headers)
    assert stale.status_code == 409 and stale.json()["detail"].startswith("version:")
    rejected = factories.make_need(session, staff.grid, NeedStatus.REJECTED)
    session.commit()
    wrong = client.post(f"/api/v1/needs/{rejected.id}/publish", json={}, headers=staff.headers)
    assert wrong.status_code == 409 and wrong.json()["detail"].startswith("status:")


# --- imports ----------------------------------------------------------------------------------------


def test_an_imported_need_without_lines_or_shifts_is_recorded_but_not_published(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    due = (utcnow().date() + timedelta(days=20)).isoformat()
    rows = (
        f"路面积水,雨后积水,sanitation,{grid.code},grid_walk,,{due},,,,,,,,\n"
        f"楼道灯损坏,3号楼,renovation,{grid.code},hotline_12345,,{due},,,material,6,个,,,\n"
    )
    assert upload(client, settings, "needs.csv", (HEADER + rows).encode("utf-8")).status_code == 200
    with reading(session) as fresh:
        from sqlalchemy import select

        needs = {row.title: row for row in fresh.execute(select(Need)).scalars()}
    water, lamp = needs["路面积水"], needs["楼道灯损坏"]
    assert water.status is NeedStatus.SUBMITTED and lamp.status is NeedStatus.SUBMITTED  # imports never publish
    client.cookies.set("lang", "en")
    refused = post_form(client, settings, f"/needs/{water.id}/publish", {"version": str(water.version)})
    assert refused.status_code == 409 and EN_MESSAGE in refused.text
    assert fetch(session, Need, water.id).status is NeedStatus.SUBMITTED
    done = post_form(client, settings, f"/needs/{lamp.id}/publish", {"version": str(lamp.version)})
    assert done.status_code == 303
    assert fetch(session, Need, lamp.id).status is NeedStatus.PUBLISHED
