"""Escalation (吹哨报到): the ladder grid → community → street → department, deadlines, acknowledgement, sweep."""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.needs.escalation import DEADLINES, escalate_overdue
from marketplace.needs.models import Escalation, EscalationLevel, Need
from marketplace.notifications.models import Notification
from marketplace.places.models import Department
from tests.needs_helpers import need_body, staff_with_token, token_for
from tests.security_helpers import audit_events, default_street, fetch, make_user, reading


def _need(client: TestClient[Any], staff: Any, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/needs", json=need_body(staff.grid.id, **fields), headers=staff.headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def _steps(session: Session, need_id: int) -> list[tuple[str, bool]]:
    with reading(session) as fresh:
        rows = fresh.execute(sa.select(Escalation).where(Escalation.need_id == need_id).order_by(Escalation.id))
        return [(row.level.value, row.acknowledged_at is not None) for row in rows.scalars()]


def test_staff_flag_climbs_the_ladder_and_the_department_is_named(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    admin = make_user(session, Role.ADMIN)
    admin_headers = {"Authorization": f"Bearer {token_for(session, admin)}"}
    department = Department(street_id=default_street(session).id, name="城管科", name_en="City management")  # type: ignore[arg-type]
    session.add(department)
    session.commit()
    need = _need(client, staff)
    address = f"/api/v1/needs/{need['id']}/escalate"
    assert client.post(address, json={"reason": ""}, headers=staff.headers).status_code == 400
    for level in ("grid", "community", "street"):
        response = client.post(address, json={"reason": "无人处理"}, headers=staff.headers)
        assert response.status_code == 201 and response.json()["level"] == level, response.text
    unnamed = client.post(address, json={"reason": "需要部门"}, headers=staff.headers)
    assert unnamed.status_code == 400 and "department_id" in unnamed.text
    named = client.post(address, json={"reason": "需要部门", "department_id": department.id}, headers=staff.headers)
    assert named.status_code == 201 and named.json()["department_id"] == department.id
    assert client.post(address, json={"reason": "再升"}, headers=staff.headers).status_code == 409
    assert fetch(session, Need, need["id"]).escalation_level == EscalationLevel.DEPARTMENT
    assert len(audit_events(session, "need.escalate")) == 4
    listing = client.get("/api/v1/escalations", headers=admin_headers).json()["items"]
    assert [item["level"] for item in listing] == ["grid", "community", "street", "department"]
    assert client.get("/api/v1/escalations", headers=staff.headers).status_code == 403
    with reading(session) as fresh:
        kinds = list(fresh.execute(sa.select(Notification.kind).where(Notification.user_id == admin.id)).scalars())
    assert kinds.count("escalation_opened") == 2  # street and department levels go to admins


def test_acknowledgement_by_the_right_people_only(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    outsider = staff_with_token(session)
    need = _need(client, staff)
    step = client.post(f"/api/v1/needs/{need['id']}/escalate", json={"reason": "逾期"}, headers=staff.headers).json()
    address = f"/api/v1/escalations/{step['id']}/acknowledge"
    assert client.post(address, headers=outsider.headers).status_code == 404
    acknowledged = client.post(address, headers=staff.headers)
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_at"] is not None
    assert client.post(address, headers=staff.headers).status_code == 409
    assert _steps(session, need["id"]) == [("grid", True)]
    assert len(audit_events(session, "escalation.acknowledge")) == 1


def test_the_sweep_escalates_overdue_needs_and_unacknowledged_levels(
    client: TestClient[Any], session: Session, session_factory: Any
) -> None:
    staff = staff_with_token(session)
    need = _need(client, staff)
    with session_scope(session_factory) as db:
        db.execute(sa.update(Need).values(due_date=utcnow().date() - timedelta(days=1)))
    now = utcnow()
    with session_scope(session_factory) as db:
        assert escalate_overdue(db, now) == 1
    with session_scope(session_factory) as db:
        assert escalate_overdue(db, now) == 0  # nothing new until the grid's deadline passes
    later = now + DEADLINES[EscalationLevel.GRID] + timedelta(minutes=1)
    with session_scope(session_factory) as db:
        assert escalate_overdue(db, later) == 1
    assert _steps(session, need["id"]) == [("grid", False), ("community", False)]
    much_later = later + DEADLINES[EscalationLevel.COMMUNITY] + timedelta(minutes=1)
    with session_scope(session_factory) as db:
        assert escalate_overdue(db, much_later) == 1
    with session_scope(session_factory) as db:
        assert escalate_overdue(db, much_later + timedelta(days=30)) == 0  # a person names the department
    assert [level for level, _ in _steps(session, need["id"])] == ["grid", "community", "street"]
