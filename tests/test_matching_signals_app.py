"""The matching signals in the application: a volunteer's interests (registration, profile, API, staff pages)
and an offer's start date (forms, API, pages), each reaching the matching library's records."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.recommend import records as rows
from marketplace.settings import Settings
from marketplace.volunteers.models import VolunteerInterest, VolunteerProfile
from tests.orgs_helpers import form_post, make_places, sign_in
from tests.security_helpers import csrf_for, make_user
from tests.test_volunteers import signup_form, skills


def _interests(session: Session) -> list[str]:
    found = sorted(c.value for c in session.execute(sa.select(VolunteerInterest.category)).scalars())
    session.rollback()  # end the read, so the app's next write does not wait for it
    return found


def test_registration_and_profile_keep_the_chosen_interests(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    grid_id, skill_id = grids[0].id, skills(session)[0].id  # ids, not rows: a rollback would reload them
    client.cookies.set("lang", "en")
    page = client.get("/register/volunteer")
    assert 'name="interests" value="elderly_care"' in page.text and "Elderly and disabled care" in page.text
    form = signup_form(grid_id, [skill_id], interests=["elderly_care", "health"])
    assert form_post(client, settings, "/register/volunteer", form).status_code == 303
    assert _interests(session) == ["elderly_care", "health"]
    profile = client.get("/volunteer/profile")
    assert 'value="elderly_care" checked' in profile.text and 'value="renovation" checked' not in profile.text
    # The edit replaces the whole list, audited; the matching's record carries the new one.
    edit = signup_form(grid_id, [skill_id], interests=["renovation"])
    assert form_post(client, settings, "/volunteer/profile", edit).status_code == 303
    assert _interests(session) == ["renovation"]
    event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "volunteer.update")).scalar_one()
    assert event.before["interests"] == ["elderly_care", "health"] and event.after["interests"] == ["renovation"]
    (record,) = rows.volunteer_records(session)
    assert record.interests == frozenset({"renovation"})


def test_an_unknown_interest_is_refused_on_the_form_naming_the_field(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    skill_rows = skills(session)
    form = signup_form(grids[0].id, [skill_rows[0].id], interests=["elderly_care", "gardening"])
    response = form_post(client, settings, "/register/volunteer", form)
    assert response.status_code == 400 and "interests-error" in response.text
    assert 'value="elderly_care" checked' in response.text  # what was chosen comes back
    assert session.execute(sa.select(sa.func.count()).select_from(VolunteerProfile)).scalar_one() == 0


def test_api_reads_and_replaces_interests_and_refuses_unknown_ones(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    assert form_post(client, settings, "/register/volunteer", signup_form(grids[0].id, [])).status_code == 303
    assert client.get("/api/v1/volunteers/me").json()["interests"] == []
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    changed = client.put(
        "/api/v1/volunteers/me", json={"interests": ["health", "elderly_care", "health"]}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["interests"] == ["elderly_care", "health"]  # once each, in the vocabulary's order
    for bad in (["gardening"], "health", [1]):
        refused = client.put("/api/v1/volunteers/me", json={"interests": bad}, headers=headers)
        assert refused.status_code == 400 and "interests" in refused.text, refused.text
    # Other fields leave the interests alone; an empty list clears them.
    assert client.put("/api/v1/volunteers/me", json={"weekly_hour_cap": 9}, headers=headers).json()["interests"] == [
        "elderly_care",
        "health",
    ]
    assert client.put("/api/v1/volunteers/me", json={"interests": []}, headers=headers).json()["interests"] == []


def test_staff_see_a_volunteers_interests(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _s, _c, grids = make_places(session)
    volunteer = TestClient(app=client.app)
    with volunteer:
        form = signup_form(grids[0].id, [], interests=["mediation"])
        assert form_post(volunteer, settings, "/register/volunteer", form).status_code == 303
    profile = session.execute(sa.select(VolunteerProfile)).scalar_one()
    profile.reliability_rate = 0.875
    session.commit()
    admin = make_user(session, Role.ADMIN)
    sign_in(client, session, admin, settings)
    client.cookies.set("lang", "en")
    listing = client.get("/volunteers/")
    assert listing.status_code == 200 and "Conflict mediation" in listing.text
    detail = client.get(f"/volunteers/{profile.id}")
    assert "Conflict mediation" in detail.text and "88%" in detail.text
    client.cookies.set("lang", "zh_CN")
    assert "矛盾调解" in client.get(f"/volunteers/{profile.id}").text
