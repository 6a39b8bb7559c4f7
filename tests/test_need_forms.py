"""Recording a need through the staff form (with resource lines and shifts as rows) and editing it with
the version the editor saw: rows are created, bad input names its field, a stale edit is a 409."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need, NeedIntake, NeedStatus, ResourceLine, Shift, ShiftSkill
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests import factories
from tests.security_helpers import audit_events, fetch, make_grid, post_form, reading, sign_in_as


def _form(grid: Grid, **fields: str) -> dict[str, str]:
    values = {
        "title": "5号楼外墙渗水",
        "description": "雨天三楼住户墙面渗水。",
        "category": "renovation",
        "grid_id": str(grid.id),
        "channel": "door_visit",
        "urgency": "high",
        "due_date": "2031-06-30",
        "beneficiary_name": "王桂兰",
        "beneficiary_phone": "13912345678",
        "line_rows": "2",
        "line-0-kind": "material",
        "line-0-category": "renovation",
        "line-0-quantity": "120",
        "line-0-unit": "平方米",
        "line-0-description": "防水涂料",
        "shift_rows": "1",
        "shift-0-title": "搬运材料",
        "shift-0-location": "5号楼",
        "shift-0-starts_at": "2031-06-01T09:00",
        "shift-0-ends_at": "2031-06-01T12:00",
        "shift-0-slots": "3",
        "shift-0-confirm": "after_approval",
    }
    return values | fields


def _rows(session: Session, model: type[Any], need_id: int) -> list[Any]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(model).where(model.need_id == need_id)).scalars())


def _needs(session: Session) -> list[Need]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Need)).scalars())


def test_staff_record_a_need_with_a_line_and_a_shift(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    skill = factories.make_skill(session)
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    page = client.get("/needs/new")
    assert page.status_code == 200 and 'name="line-1-quantity"' in page.text and 'name="shift-0-starts_at"' in page.text
    response = post_form(client, settings, "/needs/new", _form(grid, **{"shift-0-skill_ids": str(skill.id)}))
    assert response.status_code == 303, response.text
    need = _needs(session)[0]
    assert response.headers["location"] == f"/needs/{need.id}?done=created"
    assert (need.title, need.status, need.channel.value, need.beneficiary_phone) == (
        "5号楼外墙渗水",
        NeedStatus.SUBMITTED,
        "door_visit",
        "13912345678",
    )
    [line] = _rows(session, ResourceLine, need.id)  # the empty second row is ignored
    # 平方米 is stored as the unit table spells it (matching.units), so it pairs with offers in m².
    assert (line.quantity, line.unit, line.still_needed, line.description) == (120, "m²", 120, "防水涂料")
    [shift] = _rows(session, Shift, need.id)
    assert shift.requires_approval and shift.slots == 3
    assert shift.starts_at.hour == 1  # 09:00 in the street (UTC+8)
    with reading(session) as fresh:
        assert fresh.execute(sa.select(ShiftSkill.skill_id).where(ShiftSkill.shift_id == shift.id)).scalar() == skill.id
    assert len(_rows(session, NeedIntake, need.id)) == 1
    assert [event.action for event in audit_events(session, "need.create")] == ["need.create"]


def test_after_recording_the_need_page_offers_its_likely_duplicates(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    earlier = factories.make_need(
        session, grid, NeedStatus.PUBLISHED, title="5号楼外墙渗水严重", description="雨天渗水"
    )
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    response = post_form(client, settings, "/needs/new", _form(grid))
    page = client.get(response.headers["location"])
    assert earlier.title in page.text and f'name="target_id" value="{earlier.id}"' in page.text


def test_add_another_row_keeps_the_values_and_saves_nothing(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    response = post_form(client, settings, "/needs/new", _form(grid, add="line"))
    assert response.status_code == 200
    assert 'name="line-2-quantity"' in response.text and 'value="防水涂料"' in response.text
    again = post_form(client, settings, "/needs/new", _form(grid, add="shift"))
    assert 'name="shift-1-starts_at"' in again.text
    assert _needs(session) == []


def test_bad_input_is_a_400_naming_each_field_and_keeping_the_values(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    client.cookies.set("lang", "en")
    bad = _form(
        grid,
        title="",
        beneficiary_phone="12345",
        **{"line-0-quantity": "-3", "shift-0-ends_at": "2031-06-01T08:00", "line-1-unit": "个"},
    )
    response = post_form(client, settings, "/needs/new", bad)
    assert response.status_code == 400
    text = response.text
    for field in ("title", "beneficiary_phone", "line-0-quantity", "shift-0-ends_at", "line-1-kind"):
        assert f'id="{field}-error"' in text, field
        assert f'id="f-{field}"' in text
    assert "Resource line 1: Quantity" in text and "The end must be after the start." in text
    assert 'value="防水涂料"' in text and 'value="12345"' in text  # what was typed stays
    assert _needs(session) == []


def test_a_grid_outside_the_staff_scope_is_refused(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    mine, other = make_grid(session), make_grid(session)
    sign_in_as(client, session, Role.STAFF, community_id=mine.community_id)
    page = client.get("/needs/new")
    assert f'<option value="{mine.id}"' in page.text and f'<option value="{other.id}"' not in page.text
    response = post_form(client, settings, "/needs/new", _form(other))
    assert response.status_code == 400 and 'id="grid_id-error"' in response.text
    assert _needs(session) == []


def test_edit_saves_changes_with_the_version(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.SUBMITTED, title="旧标题")
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    page = client.get(f"/needs/{need.id}/edit")
    assert page.status_code == 200 and 'name="version" value="1"' in page.text and 'value="旧标题"' in page.text
    form = {
        "version": "1",
        "title": "新标题",
        "description": need.description,
        "category": "sanitation",
        "grid_id": str(grid.id),
        "urgency": "critical",
        "due_date": "",
        "beneficiary_name": "",
        "beneficiary_phone": need.beneficiary_phone or "",
        "beneficiary_address": need.beneficiary_address or "",
    }
    response = post_form(client, settings, f"/needs/{need.id}/edit", form)
    assert response.status_code == 303 and response.headers["location"] == f"/needs/{need.id}?done=saved"
    saved = fetch(session, Need, need.id)
    assert (saved.title, saved.category.value, saved.urgency.value, saved.version) == (
        "新标题",
        "sanitation",
        "critical",
        2,
    )
    assert saved.beneficiary_name is None  # cleared
    [event] = audit_events(session, "need.update")
    assert event.before["title"] == "旧标题" and event.after["title"] == "新标题"


def test_edit_with_a_stale_version_is_a_409_showing_the_current_values(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.SUBMITTED, title="他人保存的标题", version=2)
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    client.cookies.set("lang", "en")
    form = {"version": "1", "title": "我的标题", "category": "renovation", "grid_id": str(grid.id), "urgency": "normal"}
    response = post_form(client, settings, f"/needs/{need.id}/edit", form)
    assert response.status_code == 409
    assert "Someone else saved this need" in response.text
    assert "他人保存的标题" in response.text and 'value="我的标题"' in response.text
    assert 'name="version" value="2"' in response.text  # saving again means replacing their version
    assert fetch(session, Need, need.id).title == "他人保存的标题"
    again = post_form(client, settings, f"/needs/{need.id}/edit", form | {"version": "2"})
    assert again.status_code == 303 and fetch(session, Need, need.id).title == "我的标题"


def test_edit_with_bad_input_names_the_field(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.SUBMITTED)
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    form = {"version": "1", "title": need.title, "category": "renovation", "grid_id": str(grid.id)}
    no_title = post_form(client, settings, f"/needs/{need.id}/edit", form | {"title": ""})
    assert no_title.status_code == 400 and 'id="title-error"' in no_title.text
    past = post_form(client, settings, f"/needs/{need.id}/edit", form | {"due_date": "2001-01-01"})
    assert past.status_code == 400 and 'id="due_date-error"' in past.text
    assert fetch(session, Need, need.id).version == 1


def test_edit_of_a_need_outside_the_scope_is_not_found(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = factories.make_need(session, make_grid(session), NeedStatus.SUBMITTED)
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=make_grid(session).community_id)
    assert client.get(f"/needs/{need.id}/edit").status_code == 404
    response = post_form(client, settings, f"/needs/{need.id}/edit", {"version": "1", "title": "x"})
    assert response.status_code == 404


def _edit_form(need: Need, grid: Grid, **fields: str) -> dict[str, str]:
    values = {
        "version": str(need.version),
        "title": need.title,
        "description": need.description,
        "category": need.category.value,
        "grid_id": str(grid.id),
        "urgency": need.urgency.value,
        "line_rows": "1",
        "shift_rows": "1",
    }
    return values | fields


def test_edit_adds_resource_lines_and_shifts_and_keeps_the_old_ones(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.PUBLISHED)
    old_line = factories.add_resource_line(session, need, "100")
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    page = client.get(f"/needs/{need.id}/edit")
    assert 'name="line-0-quantity"' in page.text and "透水砖" in page.text  # the existing line is listed
    more = post_form(client, settings, f"/needs/{need.id}/edit", _edit_form(need, grid, add="shift"))
    assert more.status_code == 200 and 'name="shift-1-title"' in more.text
    form = _edit_form(
        need,
        grid,
        **{
            "line-0-kind": "service",
            "line-0-category": "renovation",
            "line-0-quantity": "8",
            "line-0-unit": "小时",
            "shift-0-title": "清运垃圾",
            "shift-0-starts_at": "2031-07-01T08:00",
            "shift-0-ends_at": "2031-07-01T11:00",
            "shift-0-slots": "5",
        },
    )
    response = post_form(client, settings, f"/needs/{need.id}/edit", form)
    assert response.status_code == 303, response.text
    lines = sorted(_rows(session, ResourceLine, need.id), key=lambda line: line.id)
    assert len(lines) == 2 and lines[0].id == old_line.id and lines[1].unit == "小时"
    [shift] = _rows(session, Shift, need.id)
    assert shift.title == "清运垃圾" and not shift.requires_approval
    assert fetch(session, Need, need.id).version == 2
    added = audit_events(session, "need.update")[-1]
    assert added.after["resource_lines_added"] == [lines[1].id] and added.after["shifts_added"] == [shift.id]


def test_a_closed_need_takes_no_more_lines(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    need = factories.make_need(session, grid, NeedStatus.VERIFIED)
    session.commit()
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    form = _edit_form(
        need,
        grid,
        **{"line-0-kind": "funds", "line-0-category": "renovation", "line-0-quantity": "500", "line-0-unit": "元"},
    )
    response = post_form(client, settings, f"/needs/{need.id}/edit", form)
    assert response.status_code == 409
    assert _rows(session, ResourceLine, need.id) == []
    assert fetch(session, Need, need.id).version == 1
