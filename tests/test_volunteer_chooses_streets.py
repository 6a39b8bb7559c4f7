"""A volunteer chooses the streets they also serve, and then takes part there.

Since the eighth probe a volunteer signs up only for shifts of the streets they serve: their home grid's street
and the streets they chose (``VolunteerStreet``). The choice is the profile page's "Streets I also serve" section
and the API's ``street_codes``. Here, in both languages: the section shows the home street as always included
and says what ticking and unticking a street does; the refusal on another street's take-part page leads to that
section; after choosing a street its shifts are listed and signing up works (page and API), staff recommendations
of that street rank the volunteer; after removing it new sign-ups are refused (403 ``street_not_served_by_you``)
while the sign-up already made stays; an unknown code or a street's number is a 400 naming ``street_codes`` with a
code (the home street sent among them is accepted and not stored, as before: it is always served).
"""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from marketplace.volunteers.models import AvailabilitySlot, ShiftSignup, SignupStatus
from tests import factories
from tests.security_helpers import make_user
from tests.security_world import Identity, session_identity, use

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


def _world(session: Session) -> dict[str, Any]:
    hudao = factories.make_street(session, code="hudao", name="湖岛街道", name_en="Hudao Street")
    badaguan = factories.make_street(session, code="badaguan", name="八大关街道", name_en="Badaguan Street")
    hudao_grid = factories.make_grid(session, factories.make_community(session, hudao), 1)
    badaguan_grid = factories.make_grid(session, factories.make_community(session, badaguan), 2)
    need = factories.make_need(session, hudao_grid)
    first = factories.add_shift(session, need, title="核酸检测点引导", starts_at=utcnow() + timedelta(days=3))
    second = factories.add_shift(session, need, title="物资分发", starts_at=utcnow() + timedelta(days=5))
    volunteer = factories.make_volunteer(session, badaguan_grid)
    # Free every day, all day: the recommendations may rank them for any shift of a street they serve.
    session.add_all(
        [AvailabilitySlot(volunteer_id=volunteer.id, weekday=day, start_minute=0, end_minute=1440) for day in range(7)]
    )
    session.commit()  # SQLite: the test's session must hold no write lock during the requests
    return {
        "hudao": hudao.id,
        "badaguan_grid": badaguan_grid.id,
        "need": need.id,
        "first": first.id,
        "second": second.id,
        "volunteer": volunteer.id,
        "user": volunteer.user_id,
    }


def _profile_form(world: dict[str, Any], identity: Identity, codes: list[str]) -> dict[str, Any]:
    return {
        "csrf_token": identity.csrf,
        "display_name": "李志愿",
        "phone": "13800138000",
        "home_grid_id": str(world["badaguan_grid"]),
        "segment": "resident",
        "weekly_hour_cap": "8",
        "street_codes_shown": "1",
        "street_codes": codes,
    }


def _signups(session: Session, volunteer_id: int) -> dict[int, SignupStatus]:
    session.expire_all()
    rows = session.execute(
        sa.select(ShiftSignup.shift_id, ShiftSignup.status).where(ShiftSignup.volunteer_id == volunteer_id)
    ).all()
    session.rollback()
    return {shift_id: status for shift_id, status in rows}


def test_the_profile_page_chooses_a_street_and_its_shifts_open_then_close_again(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(session)
    identity = session_identity(session_factory, settings, world["user"])
    use(client, identity)
    take_part = f"/projects/{world['need']}/take-part"

    # Another street's project: refused, and the refusal leads to the profile's street section (both languages).
    refused = client.get(take_part, headers=ZH)
    assert refused.status_code == 403
    assert "如需在该街道参与服务，请在个人资料中将其加入您服务的街道。" in refused.text
    assert 'href="/volunteer/profile#streets"' in refused.text and "选择我服务的街道" in refused.text
    refused = client.get(take_part, headers=EN)
    assert "To help in this street too, add it to the streets you serve on your profile." in refused.text
    assert "Choose the streets I serve" in refused.text

    # The section: the home street always included (not a choice), the other street to tick, what it does.
    page = client.get("/volunteer/profile", headers=ZH)
    assert page.status_code == 200 and 'id="streets"' in page.text
    assert "八大关街道（居住街道，始终包含）" in page.text
    assert 'name="street_codes" value="hudao"' in page.text and 'value="badaguan"' not in page.text
    assert "已报名的班次仍然保留" in page.text
    page = client.get("/volunteer/profile", headers=EN)
    assert "Badaguan Street (where you live: always included)" in page.text
    assert "the shifts you already signed up for stay" in page.text

    # Ticking 湖岛街道: its shifts are listed, and signing up is confirmed.
    saved = client.post("/volunteer/profile", data=_profile_form(world, identity, ["hudao"]), follow_redirects=False)
    assert saved.status_code == 303, saved.text[-2000:]
    assert 'value="hudao" checked' in client.get("/volunteer/profile").text
    listed = client.get(take_part, headers=ZH)
    assert listed.status_code == 200 and f"/shifts/{world['first']}/sign-up" in listed.text
    signed = client.post(
        f"/shifts/{world['first']}/sign-up", data={"csrf_token": identity.csrf}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text[-2000:]
    assert _signups(session, world["volunteer"]) == {world["first"]: SignupStatus.CONFIRMED}

    # Unticking it: no new sign-up there (403 naming the street), the one made stays confirmed.
    saved = client.post("/volunteer/profile", data=_profile_form(world, identity, []), follow_redirects=False)
    assert saved.status_code == 303, saved.text[-2000:]
    again = client.post(
        f"/shifts/{world['second']}/sign-up", data={"csrf_token": identity.csrf}, headers=EN, follow_redirects=False
    )
    assert again.status_code == 403
    assert "This project is in Hudao Street, a street you do not volunteer in." in again.text
    assert 'href="/volunteer/profile#streets"' in again.text
    assert _signups(session, world["volunteer"]) == {world["first"]: SignupStatus.CONFIRMED}


def _ranked(client: TestClient[Any], headers: dict[str, str], need_id: int) -> set[int]:
    answer = client.get(f"/api/v1/needs/{need_id}/recommendations?kind=volunteers", headers=headers)
    assert answer.status_code == 200, answer.text
    return {candidate["id"] for part in answer.json()["parts"] for candidate in part["candidates"]}


def test_the_api_sets_the_streets_and_signing_up_follows(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(session)
    admin = make_user(session, Role.ADMIN)
    secret, _ = create_api_token(
        session, user_id=admin.id or 0, name="streets", scopes=["needs:read"], created_by_id=None
    )
    session.commit()
    staff = {"Authorization": f"Bearer {secret}"}
    identity = session_identity(session_factory, settings, world["user"])
    use(client, identity)
    headers = identity.headers()

    me = client.get("/api/v1/volunteers/me").json()
    assert me["home_street_code"] == "badaguan" and me["street_codes"] == []
    assert world["volunteer"] not in _ranked(client, staff, world["need"])  # not Hudao's volunteer yet
    use(client, identity)
    assert client.post(f"/api/v1/shifts/{world['first']}/signups", headers=headers).status_code == 403

    # Streets that cannot be chosen: 400 on street_codes with a code, in the reader's language; nothing changes.
    for codes, code, sentence in (
        (["nowhere"], "unknown_street", "未知街道：nowhere。请从列表中选择街道。"),
        (
            [str(world["hudao"])],
            "not_a_street_code",
            f"{world['hudao']} 是数字，请使用街道代码（见街道列表）指明每个街道。",
        ),
    ):
        answer = client.put("/api/v1/volunteers/me", json={"street_codes": codes}, headers=headers | ZH)
        assert answer.status_code == 400, answer.text
        [entry] = answer.json()["extra"]
        assert (entry["key"], entry["code"], entry["message"]) == ("street_codes", code, sentence)
    english = client.put("/api/v1/volunteers/me", json={"street_codes": ["7"]}, headers=headers | EN)
    assert english.json()["extra"][0]["message"] == (
        "7 is a number; name each street by its code (as listed under the streets)."
    )
    # The home street is always served: sent back with the others (as GET names it), it is not stored.
    home = client.put("/api/v1/volunteers/me", json={"street_codes": ["badaguan"]}, headers=headers)
    assert home.status_code == 200 and home.json()["street_codes"] == []
    assert client.get("/api/v1/volunteers/me").json()["street_codes"] == []

    # Choosing Hudao: the sign-up is made, Hudao's staff see them ranked, and the change is audited.
    chosen = client.put("/api/v1/volunteers/me", json={"street_codes": ["hudao"]}, headers=headers)
    assert chosen.status_code == 200, chosen.text
    assert chosen.json()["street_codes"] == ["hudao"]
    assert client.post(f"/api/v1/shifts/{world['first']}/signups", headers=headers).status_code == 201
    assert world["volunteer"] in _ranked(client, staff, world["need"])
    session.expire_all()
    event = (
        session.execute(
            sa.select(AuditEvent).where(AuditEvent.action == "volunteer.update").order_by(AuditEvent.id.desc())
        )
        .scalars()
        .first()
    )
    assert event is not None and event.after["street_codes"] == ["hudao"] and event.before["street_codes"] == []
    session.rollback()

    # Removing it: a new sign-up is refused, the one made stays.
    use(client, identity)
    cleared = client.put("/api/v1/volunteers/me", json={"street_codes": []}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["street_codes"] == []
    refused = client.post(f"/api/v1/shifts/{world['second']}/signups", headers=headers)
    assert refused.status_code == 403 and refused.json()["extra"]["code"] == "street_not_served_by_you"
    assert _signups(session, world["volunteer"]) == {world["first"]: SignupStatus.CONFIRMED}
