"""Volunteers: self-registration with skills and availability, profile edits, the hours summary, the JSON API."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.needs.models import Shift
from marketplace.organizations.models import OrganizationStatus
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.settings import Settings
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    Skill,
    VolunteerProfile,
    VolunteerSegment,
    VolunteerSkill,
)
from tests.orgs_helpers import form_post, make_places, sign_in
from tests.security_helpers import make_org, make_user


def skills(session: Session) -> list[Skill]:
    rows = [
        Skill(code="elder-care", group="care", name="助老陪护", name_en="Elderly companionship"),
        Skill(code="plumbing", group="repair", name="水电维修", name_en="Plumbing and wiring"),
        Skill(code="first-aid", group="medical", name="急救", name_en="First aid"),
    ]
    session.add_all(rows)
    session.commit()
    return rows


def signup_form(home: int, chosen: list[int], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "username": "xiaoli",
        "display_name": "李小丽",
        "phone": "13912345678",
        "password": "volunteers plant trees",
        "home_grid_id": str(home),
        "segment": "party_member",
        "is_party_member": "1",
        "weekly_hour_cap": "6",
        "skill_ids": [str(s) for s in chosen],
        "slots": ["0-morning", "5-afternoon", "6-evening"],
    }
    return values | overrides


def test_volunteer_registration_creates_profile_skills_and_slots(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    skill_rows = skills(session)
    employer = make_org(session, OrganizationStatus.APPROVED)
    session.commit()
    ids = [skill_rows[0].id, skill_rows[2].id]
    page = client.get("/register/volunteer")
    assert page.status_code == 200 and "助老陪护" in page.text
    form = signup_form(grids[1].id, ids, employer_organization_id=str(employer.id))
    response = form_post(client, settings, "/register/volunteer", form)
    assert response.status_code == 303, response.text[-3000:]
    assert client.cookies.get(SESSION_COOKIE)
    user = session.execute(sa.select(User).where(User.username == "xiaoli")).scalar_one()
    profile = session.execute(sa.select(VolunteerProfile)).scalar_one()
    assert user.role == Role.VOLUNTEER and profile.user_id == user.id
    assert profile.home_grid_id == grids[1].id and profile.weekly_hour_cap == 6
    assert profile.segment == VolunteerSegment.PARTY_MEMBER and profile.is_party_member
    assert profile.employer_organization_id == employer.id
    assert sorted(session.execute(sa.select(VolunteerSkill.skill_id)).scalars()) == sorted(ids)
    slots = session.execute(
        sa.select(AvailabilitySlot.weekday, AvailabilitySlot.start_minute, AvailabilitySlot.end_minute).order_by(
            AvailabilitySlot.weekday
        )
    ).all()
    assert [tuple(s) for s in slots] == [(0, 480, 720), (5, 780, 1020), (6, 1080, 1260)]
    actions = sorted(session.execute(sa.select(AuditEvent.action)).scalars())
    assert actions == ["user.register", "volunteer.register"]
    session.rollback()
    profile_page = client.get("/volunteer/profile")
    assert profile_page.status_code == 200 and "李小丽" in profile_page.text


def test_registration_refuses_bad_input_without_writing(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    skill_rows = skills(session)
    pending = make_org(session, OrganizationStatus.PENDING)
    session.commit()
    client.cookies.set("lang", "en")
    cases = [
        ({"phone": "123"}, "phone-error"),
        ({"home_grid_id": ""}, "home_grid_id-error"),
        ({"home_grid_id": "99999"}, "home_grid_id-error"),
        ({"slots": ["9-morning"]}, "slots-error"),
        ({"is_party_member": ""}, "is_party_member-error"),
        ({"skill_ids": ["99999"]}, "skill_ids-error"),
        ({"employer_organization_id": str(pending.id)}, "employer_organization_id-error"),
        ({"weekly_hour_cap": "200"}, "weekly_hour_cap-error"),
    ]
    for overrides, marker in cases:
        response = form_post(
            client, settings, "/register/volunteer", signup_form(grids[0].id, [skill_rows[0].id], **overrides)
        )
        assert response.status_code == 400, overrides
        assert marker in response.text, overrides
    assert session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0
    session.rollback()


def test_profile_edit_replaces_skills_and_slots_audited(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    skill_rows = skills(session)
    response = form_post(client, settings, "/register/volunteer", signup_form(grids[0].id, [skill_rows[0].id]))
    assert response.status_code == 303
    edit = signup_form(
        grids[3].id,
        [skill_rows[1].id],
        segment="resident",
        is_party_member="",
        slots=["2-evening"],
        display_name="李丽",
    )
    response = form_post(client, settings, "/volunteer/profile", edit)
    assert response.status_code == 303, response.text[-2000:]
    profile = session.execute(sa.select(VolunteerProfile)).scalar_one()
    assert profile.home_grid_id == grids[3].id and profile.segment == VolunteerSegment.RESIDENT
    assert list(session.execute(sa.select(VolunteerSkill.skill_id)).scalars()) == [skill_rows[1].id]
    assert session.execute(sa.select(sa.func.count()).select_from(AvailabilitySlot)).scalar_one() == 1
    event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "volunteer.update")).scalar_one()
    assert event.before and event.after
    assert event.before["home_grid_id"] == grids[0].id and event.after["home_grid_id"] == grids[3].id
    assert event.after["display_name"] == "李丽" and event.after["skill_ids"] == [skill_rows[1].id]
    session.rollback()


def test_api_me_and_put(client: TestClient[Any], session: Session, settings: Settings) -> None:
    from tests.security_helpers import csrf_for

    _s, _c, grids = make_places(session)
    skill_rows = skills(session)
    assert form_post(client, settings, "/register/volunteer", signup_form(grids[0].id, [])).status_code == 303
    me = client.get("/api/v1/volunteers/me").json()
    assert me["home_grid_id"] == grids[0].id and me["weekly_hour_cap"] == 6 and len(me["availability"]) == 3
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    changed = client.put(
        "/api/v1/volunteers/me",
        json={"weekly_hour_cap": 10, "skill_ids": [skill_rows[2].id], "availability": []},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["weekly_hour_cap"] == 10 and body["skill_ids"] == [skill_rows[2].id] and body["availability"] == []
    bad = client.put("/api/v1/volunteers/me", json={"weekly_hour_cap": 0}, headers=headers)
    assert bad.status_code == 400 and "weekly_hour_cap" in bad.text
    overlap = client.put(
        "/api/v1/volunteers/me",
        json={
            "availability": [
                {"weekday": 1, "start_minute": 480, "end_minute": 720},
                {"weekday": 1, "start_minute": 600, "end_minute": 800},
            ]
        },
        headers=headers,
    )
    assert overlap.status_code == 400 and "availability" in overlap.text
    assert client.get("/api/v1/volunteers/me").json()["weekly_hour_cap"] == 10


def test_hours_summary_matches_inserted_signups(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _s, _c, grids = make_places(session)
    volunteer = make_user(session, Role.VOLUNTEER)
    profile = VolunteerProfile(user_id=volunteer.id, home_grid_id=grids[0].id, segment=VolunteerSegment.RESIDENT)  # type: ignore[arg-type]
    session.add(profile)
    session.flush()
    need_id = _make_need(session, grids[0].id)
    plan = [
        # (start, status, hours)
        (datetime(2026, 3, 5, 1, 0, tzinfo=UTC), SignupStatus.COMPLETED, "3"),
        (datetime(2026, 3, 20, 1, 0, tzinfo=UTC), SignupStatus.COMPLETED, "2.5"),
        (datetime(2026, 4, 2, 1, 0, tzinfo=UTC), SignupStatus.COMPLETED, "4"),
        (datetime(2026, 4, 9, 1, 0, tzinfo=UTC), SignupStatus.NO_SHOW, "0"),
        (datetime(2026, 4, 30, 17, 0, tzinfo=UTC), SignupStatus.COMPLETED, "1"),  # 1 May in Qingdao
        (datetime(2026, 5, 10, 1, 0, tzinfo=UTC), SignupStatus.CONFIRMED, "0"),
    ]
    for index, (start, status, hours) in enumerate(plan):
        shift = Shift(
            need_id=need_id, title=f"班次{index}", starts_at=start, ends_at=start + timedelta(hours=4), slots=3
        )
        session.add(shift)
        session.flush()
        checked_in = start if status == SignupStatus.COMPLETED else None
        session.add(
            ShiftSignup(
                shift_id=shift.id,  # type: ignore[arg-type]
                volunteer_id=profile.id,  # type: ignore[arg-type]
                status=status,
                checked_in_at=checked_in,
                hours_credited=Decimal(hours),
            )
        )
    session.commit()
    sign_in(client, session, volunteer, settings)
    client.cookies.set("lang", "en")
    page = client.get("/volunteer/hours")
    assert page.status_code == 200
    from marketplace.volunteers.services import hours_summary

    summary = hours_summary(session, profile.id)  # type: ignore[arg-type]
    session.rollback()
    assert summary.total_hours == Decimal("10.5")
    assert summary.completed == 4 and summary.no_shows == 1
    assert summary.by_month == [("2026-05", Decimal(1), 1), ("2026-04", Decimal(4), 1), ("2026-03", Decimal("5.5"), 2)]
    assert len(summary.recent) == 6
    assert "10.5" in page.text and "Mar 2026" in page.text and "班次0" in page.text


def _make_need(session: Session, grid_id: int) -> int:
    from marketplace.places.models import Grid
    from tests.factories import make_need

    grid = session.get(Grid, grid_id)
    need = make_need(session, grid)  # type: ignore[arg-type]
    return need.id  # type: ignore[return-value]
