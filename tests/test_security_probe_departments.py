"""A need escalates only to a department of its own street (吹哨报到 across one street, never another's).

Found by the security probe on a two-street deployment: staff of Hudao Street escalated a Hudao need to a
department of Badaguan Street (201), and the need page's department list offered every street's
departments (the seed gives each street a 住房和城乡建设局, so the list showed it twice, one of them the other
street's). A department id given below the department level was stored on the grid step as well. One rule
now (``escalation.departments_of``): the need's street's departments, for the list and for the check.
"""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.needs.models import Escalation
from marketplace.places.models import Community, Department, Street
from tests.needs_helpers import need_body, staff_with_token
from tests.security_helpers import default_street, login, make_user, reading


def _departments(session: Session) -> tuple[Department, Department]:
    here = Department(street_id=default_street(session).id, name="本街城管科", name_en="City management")  # type: ignore[arg-type]
    other_street = Street(
        code="sec-other", name="八大关街道", name_en="Badaguan Street", district="市南区", city="青岛市"
    )
    session.add(other_street)
    session.flush()
    session.add(Community(street_id=other_street.id, name="别处社区", name_en="Elsewhere"))  # type: ignore[arg-type]
    there = Department(street_id=other_street.id, name="八大关城管科", name_en="Elsewhere's city management")  # type: ignore[arg-type]
    session.add_all([here, there])
    session.commit()
    return here, there


def _climb_to_the_street(client: TestClient[Any], staff: Any) -> str:
    created = client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=staff.headers)
    assert created.status_code == 201, created.text
    address = f"/api/v1/needs/{created.json()['id']}/escalate"
    for level in ("grid", "community", "street"):
        response = client.post(address, json={"reason": "无人处理"}, headers=staff.headers)
        assert response.status_code == 201 and response.json()["level"] == level, response.text
    return address


def test_a_department_of_another_street_is_refused_naming_the_field(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    here, there = _departments(session)
    address = _climb_to_the_street(client, staff)
    refused = client.post(address, json={"reason": "需要部门", "department_id": there.id}, headers=staff.headers)
    assert refused.status_code == 400, refused.text
    assert refused.json()["extra"][0]["key"] == "department_id"
    named = client.post(address, json={"reason": "需要部门", "department_id": here.id}, headers=staff.headers)
    assert named.status_code == 201 and named.json()["department_id"] == here.id, named.text


def test_a_department_named_below_the_department_level_is_not_stored(client: TestClient[Any], session: Session) -> None:
    staff = staff_with_token(session)
    here, there = _departments(session)
    created = client.post("/api/v1/needs", json=need_body(staff.grid.id), headers=staff.headers)
    need_id = created.json()["id"]
    for department in (there.id, here.id):
        response = client.post(
            f"/api/v1/needs/{need_id}/escalate",
            json={"reason": "无人处理", "department_id": department},
            headers=staff.headers,
        )
        assert response.status_code in (201, 400), response.text
        if response.status_code == 201:
            assert response.json()["department_id"] is None, response.text
    with reading(session) as fresh:
        stored = list(fresh.execute(sa.select(Escalation.department_id).where(Escalation.need_id == need_id)).scalars())
    assert stored and all(value is None for value in stored)


def test_the_need_page_offers_only_its_streets_departments(client: TestClient[Any], session: Session) -> None:
    from marketplace.accounts.models import Role

    staff = staff_with_token(session)
    _departments(session)
    _climb_to_the_street(client, staff)
    need_id = session.execute(sa.select(Escalation.need_id)).scalars().first()
    admin = make_user(session, Role.ADMIN, username="probe-dept-admin")
    assert login(client, admin.username, "correct horse battery staple").status_code == 303
    page = client.get(f"/needs/{need_id}")
    assert page.status_code == 200
    assert "本街城管科" in page.text
    assert "八大关城管科" not in page.text
