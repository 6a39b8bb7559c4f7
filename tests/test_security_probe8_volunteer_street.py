"""Eighth probe: a volunteer takes part in the streets they volunteer in, not in every street of the city.

Before: a volunteer living in Badaguan signed up for a Hudao shift from its take-part page and the API (201,
confirmed at once), though staff proposals, rounds and recommendations keep to the volunteers serving a
street (``street_scope.volunteer_serves_need``). DESIGN.md gives a volunteer a home grid, and each street's
staff plan with their street's volunteers: a volunteer belongs to their home grid's street, and to the streets
they chose to serve besides (``VolunteerStreet``). Now the sign-up (page and API) is refused with 403
``street_not_served_by_you`` naming the street in the reader's language, nothing is written, and the take-part
page of another street's project lists no shift to sign up for.
"""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.settings import Settings
from marketplace.volunteers.models import ShiftSignup, VolunteerStreet
from tests import factories
from tests.security_world import session_identity, use


def _two_streets(session: Session) -> dict[str, Any]:
    hudao = factories.make_street(session, name="湖岛街道", name_en="Hudao Street")
    badaguan = factories.make_street(session, name="八大关街道", name_en="Badaguan Street")
    hudao_grid = factories.make_grid(session, factories.make_community(session, hudao), 1)
    badaguan_grid = factories.make_grid(session, factories.make_community(session, badaguan), 2)
    need = factories.make_need(session, hudao_grid)
    shift = factories.add_shift(session, need, title="核酸检测点引导", starts_at=utcnow() + timedelta(days=3))
    session.commit()
    world = {
        "hudao": hudao,
        "need": need.id,
        "shift": shift.id,
        "hudao_volunteer": factories.make_volunteer(session, hudao_grid),
        "badaguan_volunteer": factories.make_volunteer(session, badaguan_grid),
        "chose_hudao": factories.make_volunteer(session, badaguan_grid),
    }
    session.commit()  # SQLite: the test's session must hold no write lock during the requests
    return world


def _signups(session: Session, volunteer_id: int) -> int:
    session.expire_all()
    count = session.execute(
        sa.select(sa.func.count()).select_from(ShiftSignup).where(ShiftSignup.volunteer_id == volunteer_id)
    ).scalar_one()
    session.rollback()
    return int(count)


def test_a_volunteer_of_another_street_is_refused_on_the_page_and_the_api(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _two_streets(session)
    outsider = world["badaguan_volunteer"]
    identity = session_identity(session_factory, settings, outsider.user_id)
    use(client, identity)

    page = client.get(f"/projects/{world['need']}/take-part", headers={"Accept-Language": "zh-CN"})
    assert page.status_code == 403
    assert "该项目属于湖岛街道，不在您服务的街道范围内。" in page.text
    assert f"/shifts/{world['shift']}/sign-up" not in page.text and "核酸检测点引导" not in page.text

    posted = client.post(
        f"/shifts/{world['shift']}/sign-up",
        data={"csrf_token": identity.csrf},
        headers={"Accept-Language": "en"},
        follow_redirects=False,
    )
    assert posted.status_code == 403
    assert "This project is in Hudao Street, a street you do not volunteer in." in posted.text

    answer = client.post(
        f"/api/v1/shifts/{world['shift']}/signups", headers=identity.headers() | {"Accept-Language": "zh-CN"}
    )
    assert answer.status_code == 403, answer.text
    body = answer.json()
    assert body["extra"]["code"] == "street_not_served_by_you"
    assert body["extra"]["street_id"] == world["hudao"].id
    assert body["detail"] == "该项目属于湖岛街道，不在您服务的街道范围内。"
    assert _signups(session, outsider.id) == 0


def test_the_streets_own_volunteers_and_those_who_chose_it_sign_up(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _two_streets(session)
    session.add(VolunteerStreet(volunteer_id=world["chose_hudao"].id, street_id=world["hudao"].id))
    session.commit()
    volunteers = [(row.id, row.user_id) for row in (world["hudao_volunteer"], world["chose_hudao"])]
    for volunteer_id, user_id in volunteers:
        identity = session_identity(session_factory, settings, user_id)
        use(client, identity)
        assert client.get(f"/projects/{world['need']}/take-part").status_code == 200
        answer = client.post(f"/api/v1/shifts/{world['shift']}/signups", headers=identity.headers())
        assert answer.status_code == 201, answer.text
        assert _signups(session, volunteer_id) == 1
