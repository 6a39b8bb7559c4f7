"""The matching signals in the application: a volunteer's interests (registration, profile, API, staff pages)
and an offer's start date (forms, API, pages), each reaching the matching library's records."""

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from babel.dates import format_date
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.recommend import records as rows
from marketplace.settings import Settings
from marketplace.street_clock import day_start, street_day
from marketplace.volunteers.models import VolunteerInterest, VolunteerProfile
from tests.orgs_helpers import form_post, make_places, sign_in
from tests.security_helpers import csrf_for, csrf_from, make_grid, make_user, sign_in_as
from tests.test_exchange import upload
from tests.test_offers import offer_body
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
    me = client.get("/api/v1/volunteers/me").json()
    assert me["interests"] == [] and me["reliability_rate"] is None
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


# --- an offer's start date -------------------------------------------------------------------------------


def _offer_api(client: TestClient[Any], settings: Settings, method: str, path: str, body: Any) -> Any:
    return client.request(method, path, json=body, headers={"X-CSRF-Token": csrf_for(client, settings)})


def _days_ahead(days: int) -> str:
    return (street_day(utcnow()) + timedelta(days=days)).isoformat()


def test_api_takes_a_start_date_within_the_window_and_names_the_field_otherwise(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    body = offer_body([grid.id], available_from=_days_ahead(10), valid_until=_days_ahead(40))
    created = _offer_api(client, settings, "POST", "/api/v1/offers", body)
    assert created.status_code == 201, created.text
    offer = created.json()
    assert offer["available_from_day"] == _days_ahead(10)
    assert offer["available_from"] == day_start(date.fromisoformat(_days_ahead(10))).isoformat()
    # Starting after the offer ends is refused, naming the field; on creation and on an edit.
    late = offer_body([grid.id], available_from=_days_ahead(41), valid_until=_days_ahead(40))
    refused = _offer_api(client, settings, "POST", "/api/v1/offers", late)
    assert refused.status_code == 400 and "available_from" in refused.text, refused.text
    edit = {"version": 1, "available_from": _days_ahead(60)}
    refused = _offer_api(client, settings, "PATCH", f"/api/v1/offers/{offer['id']}", edit)
    assert refused.status_code == 400 and "available_from" in refused.text, refused.text
    for nonsense in ("someday", "99999-01-01", _days_ahead(365 * 11)):
        refused = _offer_api(client, settings, "POST", "/api/v1/offers", offer_body([grid.id], available_from=nonsense))
        assert refused.status_code == 400 and "available_from" in refused.text, (nonsense, refused.text)
    # An edit may move it, or clear it (available at once); the matching's record follows.
    moved = _offer_api(
        client, settings, "PATCH", f"/api/v1/offers/{offer['id']}", {"version": 1, "available_from": _days_ahead(5)}
    )
    assert moved.status_code == 200 and moved.json()["available_from_day"] == _days_ahead(5)
    (record,) = rows.offer_records(session)
    assert street_day(record.available_from) == date.fromisoformat(_days_ahead(5))
    session.rollback()
    cleared = _offer_api(
        client, settings, "PATCH", f"/api/v1/offers/{offer['id']}", {"version": 2, "available_from": None}
    )
    assert cleared.status_code == 200 and cleared.json()["available_from"] is None


def test_offer_form_takes_the_start_date_and_pages_show_from_until(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    grid_id = grid.id
    sign_in_as(client, session, Role.PARTNER)
    client.cookies.set("lang", "en")
    form = client.get("/offers/new")
    assert 'name="available_from"' in form.text and "Available from" in form.text
    fields = {
        "csrf_token": csrf_from(form.text),
        "kind": "venue",
        "category": "culture_sports",
        "title": "社区活动室",
        "quantity": "20",
        "unit": "小时",
        "grid_ids": [str(grid_id)],
        "valid_until": _days_ahead(40),
    }
    bad = client.post("/offers/new", data=fields | {"available_from": _days_ahead(50)})
    assert bad.status_code == 400 and 'id="available_from-error"' in bad.text
    assert "The resource must be available before the offer ends." in bad.text
    good = client.post("/offers/new", data=fields | {"available_from": _days_ahead(10)}, follow_redirects=False)
    assert good.status_code == 303, good.text[-2000:]
    detail = client.get(good.headers["location"])
    start = format_date(date.fromisoformat(_days_ahead(10)), format="medium", locale="en")
    assert f"from {start} until" in detail.text
    assert f"from {start} until" in client.get("/offers").text
    offer_id = good.headers["location"].split("/")[2].split("?")[0]
    edit = client.get(f"/offers/{offer_id}/edit")
    assert f'value="{_days_ahead(10)}"' in edit.text
    client.cookies.set("lang", "zh_CN")
    zh_start = format_date(date.fromisoformat(_days_ahead(10)), format="medium", locale="zh_CN")
    assert f"{zh_start}起" in client.get(good.headers["location"]).text


def test_offer_file_carries_the_start_date_both_ways(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    code = grid.code
    sign_in_as(client, session, Role.PARTNER)
    data = (
        "类型,类别,标题,数量,单位,有效期至,可供应起始日,服务网格\n"
        f"material,livelihood,棉衣,200,件,{_days_ahead(90)},{_days_ahead(20)},{code}\n"
        f"material,livelihood,棉被,50,床,{_days_ahead(90)},{_days_ahead(120)},{code}\n"
        f"material,livelihood,手套,50,双,,not a day,{code}\n"
    ).encode()
    report = upload(client, settings, "/api/v1/offers/import", "offers.csv", data).json()
    problems = {(p["row"], p["column"]) for p in report["problems"]}
    assert report["imported"] == 0 and problems == {(3, "可供应起始日"), (4, "可供应起始日")}, report
    fixed = data.replace(_days_ahead(120).encode(), _days_ahead(30).encode()).replace(b"not a day", b"")
    report = upload(client, settings, "/api/v1/offers/import", "offers.csv", fixed).json()
    assert report["imported"] == 3, report
    exported = client.get("/api/v1/offers/export?format=csv").content.decode("utf-8-sig")
    header, *lines = exported.splitlines()
    column = header.split(",").index("可供应起始日")
    assert sorted(line.split(",")[column] for line in lines) == ["", _days_ahead(20), _days_ahead(30)]


# --- the volunteer register's import -------------------------------------------------------------------


def test_staff_import_the_register_with_interests_and_completion_rates(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    codes = [grid.code for grid in grids]
    admin = make_user(session, Role.ADMIN)
    sign_in(client, session, admin, settings)
    client.cookies.set("lang", "en")
    page = client.get("/volunteers/import")
    assert page.status_code == 200 and "意向服务类型" in page.text and "履约率" in page.text
    data = (
        "姓名,电话,网格,类别,意向服务类型,履约率\n"
        f"李小丽,13912345678,{codes[0]},党员,助老; 健康服务,92%\n"
        f"王强,13912345679,{codes[1]},resident,Conflict mediation、维修,0.8\n"
        f"赵敏,13912345670,{codes[2]},,gardening,75\n"
        f"钱多,13912345671,{codes[3]},,,150%\n"
    ).encode()
    refused = upload(client, settings, "/volunteers/import", "register.csv", data)
    assert refused.status_code == 400
    assert "Unknown kind of work “gardening”" in refused.text and "A rate is between 0 and 100 percent." in refused.text
    assert session.execute(sa.select(sa.func.count()).select_from(VolunteerProfile)).scalar_one() == 0
    session.rollback()
    done = upload(client, settings, "/volunteers/import", "register.csv", data, only_valid="1")
    assert done.status_code == 200 and "2 volunteers were imported." in done.text
    found = {record.text or record.id: record for record in rows.volunteer_records(session)}
    by_rate = sorted((r.reliability_rate, sorted(r.interests)) for r in found.values())
    assert by_rate == [(0.8, ["mediation", "renovation"]), (0.92, ["elderly_care", "health"])]
    event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "volunteer.import")).scalar_one()
    assert event.after["imported"] == 2 and event.after["skipped_rows"] == [4, 5]
    session.rollback()
    # The export carries both columns back, in the import's headers; the same file imports nothing twice.
    exported = client.get("/volunteers/export?format=csv").content.decode("utf-8-sig")
    assert "Work they want to do" in exported and "92%" in exported and "Conflict mediation" in exported
    again = upload(client, settings, "/volunteers/import", "register.csv", data, only_valid="1")
    assert "The username v13912345678 is taken." in again.text


def test_staff_import_only_into_their_own_grids(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _s, communities, grids = make_places(session)
    staff = make_user(session, Role.STAFF, community_id=communities[0].id)
    other = grids[3].code
    sign_in(client, session, staff, settings)
    client.cookies.set("lang", "en")
    data = f"姓名,网格\n孙丽,{other}\n".encode()
    refused = upload(client, settings, "/volunteers/import", "register.csv", data)
    assert refused.status_code == 400 and f"You do not work in the grid “{other}”." in refused.text


# --- the signals explained where recommendations are shown ---------------------------------------------


def test_recommendations_explain_interests_and_ties_in_both_languages(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    from marketplace.recommend import services
    from marketplace.vocabulary import Category
    from marketplace.volunteers.models import AvailabilitySlot
    from tests import matches_factories as mf

    services.forget()
    grid = make_grid(session)
    need = mf.project(session, grid, category=Category.ELDERLY_CARE, title="独居老人上门探访")
    mf.shift(session, need, slots=3)
    keen = make_user(session, Role.VOLUNTEER, display_name="王愿意")
    profile = VolunteerProfile(user_id=keen.id or 0, home_grid_id=grid.id or 0, segment="resident")
    session.add(profile)
    session.flush()
    session.add(VolunteerInterest(volunteer_id=profile.id or 0, category=Category.ELDERLY_CARE))
    session.add_all(
        AvailabilitySlot(volunteer_id=profile.id or 0, weekday=day, start_minute=0, end_minute=1440) for day in range(7)
    )
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    body = client.get(f"/api/v1/needs/{need.id}/recommendations", params={"kind": "volunteers"}).json()
    [candidate] = body["parts"][0]["candidates"]
    said = {reason["feature"]: (reason["zh"], reason["en"]) for reason in candidate["reasons"]}
    assert said["interest"] == ("愿意从事此类工作", "wants to do this kind of work")
    page = client.get(f"/needs/{need.id}/recommendations?kind=volunteers")
    assert "愿意从事此类工作" in page.text
    client.cookies.set("lang", "en")
    assert "wants to do this kind of work" in client.get(f"/needs/{need.id}/recommendations?kind=volunteers").text
    services.forget()
