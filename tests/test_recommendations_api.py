"""GET /api/v1/needs/{id}/recommendations: the right candidates first, explained, within the reader's scope."""

from collections.abc import Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.needs.models import Need, ShiftSkill
from marketplace.places.models import Grid
from marketplace.recommend import services
from marketplace.vocabulary import Category
from marketplace.volunteers.models import AvailabilitySlot, Skill, VolunteerProfile, VolunteerSegment, VolunteerSkill
from tests import matches_factories as mf
from tests.security_helpers import make_grid, make_org, make_user, sign_in_as


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    # Each test builds a new database that may reuse the previous one's address and ids.
    services.forget()
    yield
    services.forget()


def _volunteer(session: Session, grid: Grid, name: str, skills: list[Skill], *, available: bool = True) -> int:
    return _profile_for(session, make_user(session, Role.VOLUNTEER, display_name=name), grid, skills, available)


def _profile_for(session: Session, user: User, grid: Grid, skills: list[Skill], available: bool = True) -> int:
    profile = VolunteerProfile(user_id=user.id or 0, home_grid_id=grid.id or 0, segment=VolunteerSegment.RESIDENT)
    session.add(profile)
    session.flush()
    session.add_all([VolunteerSkill(volunteer_id=profile.id or 0, skill_id=skill.id or 0) for skill in skills])
    if available:
        session.add_all(
            [
                AvailabilitySlot(volunteer_id=profile.id or 0, weekday=day, start_minute=0, end_minute=1440)
                for day in range(7)
            ]
        )
    session.commit()
    return profile.id or 0


def _need_with_shift(session: Session) -> tuple[Need, Skill, Grid]:
    grid = make_grid(session)
    skill = Skill(code="first-aid", group="medical", name="急救", name_en="First aid")
    session.add(skill)
    session.commit()
    need = mf.project(session, grid, title="社区义诊急救站")
    shift = mf.shift(session, need, slots=3)
    session.add(ShiftSkill(shift_id=shift.id or 0, skill_id=skill.id or 0))
    session.commit()
    return need, skill, grid


def test_volunteers_with_the_skill_and_the_time_come_first_with_reasons(
    client: TestClient[Any], session: Session
) -> None:
    need, skill, grid = _need_with_shift(session)
    skilled = _volunteer(session, grid, "王急救", [skill])
    unskilled = _volunteer(session, grid, "李热心", [])
    busy = _volunteer(session, grid, "赵没空", [skill], available=False)
    sign_in_as(client, session, Role.ADMIN)
    response = client.get(f"/api/v1/needs/{need.id}/recommendations", params={"kind": "volunteers", "k": 5})
    assert response.status_code == 200, response.text
    [part] = response.json()["parts"]
    ranked = part["candidates"]
    assert [row["id"] for row in ranked] == [skilled, unskilled]  # the one without time is filtered out
    assert busy not in [row["id"] for row in ranked]
    best = ranked[0]
    assert best["rank"] == 1 and best["name"] == "王急救" and best["score"] > ranked[1]["score"]
    reasons = {reason["feature"]: reason for reason in best["reasons"]}
    assert "skill_coverage" in reasons and reasons["skill_coverage"]["zh"] and reasons["skill_coverage"]["en"]
    assert "available for the whole shift" in [reason["en"] for reason in best["reasons"]]


def test_a_new_volunteer_is_recommended_on_the_next_request(client: TestClient[Any], session: Session) -> None:
    need, skill, grid = _need_with_shift(session)
    sign_in_as(client, session, Role.ADMIN)
    url = f"/api/v1/needs/{need.id}/recommendations?kind=volunteers"
    assert client.get(url).json()["parts"][0]["candidates"] == []
    newcomer = _volunteer(session, grid, "新志愿者", [skill])
    assert [row["id"] for row in client.get(url).json()["parts"][0]["candidates"]] == [newcomer]


def test_offers_of_the_lines_category_serving_the_grid_come_first(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, category=Category.RENOVATION)
    mf.line(session, need, "800")
    organization = make_org(session, name="绿帆建材")
    from tests.factories import make_offer

    other = make_offer(session, organization, category=Category.CULTURE_SPORTS, title="音响设备")
    fitting = make_offer(session, organization, title="透水砖 800 平方米")
    from marketplace.offers.models import OfferGrid

    session.add(OfferGrid(offer_id=fitting.id or 0, grid_id=grid.id or 0))
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    client.cookies.set("lang", "en")
    response = client.get(f"/api/v1/needs/{need.id}/recommendations", params={"kind": "offers"})
    assert response.status_code == 200, response.text
    body = response.json()
    ranked = body["parts"][0]["candidates"]
    assert ranked[0]["id"] == fitting.id and ranked[0]["name"] == "透水砖 800 平方米 · 绿帆建材"
    assert other.id not in [row["id"] for row in ranked[:1]]
    assert any("still needed" in reason["en"] for reason in ranked[0]["reasons"])


def test_bad_kind_names_the_field_and_scope_holds(client: TestClient[Any], session: Session) -> None:
    need, _, _ = _need_with_shift(session)
    sign_in_as(client, session, Role.ADMIN)
    bad = client.get(f"/api/v1/needs/{need.id}/recommendations", params={"kind": "people"})
    assert bad.status_code == 400 and bad.json()["extra"][0]["key"] == "kind"
    too_many = client.get(f"/api/v1/needs/{need.id}/recommendations", params={"kind": "offers", "k": 500})
    assert too_many.status_code == 400 and too_many.json()["extra"][0]["key"] == "k"
    client.cookies.clear()
    sign_in_as(client, session, Role.STAFF, community_id=make_grid(session).community_id)  # another community
    assert client.get(f"/api/v1/needs/{need.id}/recommendations?kind=offers").status_code == 404
    client.cookies.clear()
    sign_in_as(client, session, Role.PARTNER, organization_id=make_org(session).id)
    assert client.get(f"/api/v1/needs/{need.id}/recommendations?kind=offers").status_code == 403


def test_the_need_page_of_recommendations_explains_in_the_readers_language(
    client: TestClient[Any], session: Session
) -> None:
    need, skill, grid = _need_with_shift(session)
    _volunteer(session, grid, "王急救", [skill])
    sign_in_as(client, session, Role.STAFF, community_id=grid.community_id)
    chinese = client.get(f"/needs/{need.id}/recommendations?kind=volunteers")
    assert chinese.status_code == 200
    assert "王急救" in chinese.text and "整个班次时间都有空" in chinese.text
    client.cookies.set("lang", "en")
    english = client.get(f"/needs/{need.id}/recommendations?kind=volunteers").text
    assert "available for the whole shift" in english and "整个班次时间都有空" not in english
    assert "No resource line of this need still needs anything." in client.get(f"/needs/{need.id}/recommendations").text
    assert client.get(f"/needs/{need.id}/recommendations?kind=people").status_code == 400


def test_a_volunteer_sees_the_shifts_that_suit_them_first(client: TestClient[Any], session: Session) -> None:
    need, skill, grid = _need_with_shift(session)  # needs first aid
    plain = mf.project(session, grid, title="楼道清扫")
    mf.shift(session, plain, slots=2)
    _profile_for(session, sign_in_as(client, session, Role.VOLUNTEER), grid, [skill])
    client.cookies.set("lang", "en")
    page = client.get("/recommended")
    assert page.status_code == 200 and "Recommended tasks" in page.text
    assert page.text.index("社区义诊急救站") < page.text.index("楼道清扫")  # the skill makes the difference
    assert f'href="/projects/{need.id}/take-part"' in page.text


def test_a_partner_sees_the_lines_their_offers_suit(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid, category=Category.RENOVATION, title="人行道铺设透水砖")
    mf.line(session, need, "800")
    organization = make_org(session, name="绿帆建材")
    from tests.factories import make_offer

    make_offer(session, organization, title="透水砖")
    sign_in_as(client, session, Role.PARTNER, organization_id=organization.id)
    client.cookies.set("lang", "en")
    page = client.get("/recommended")
    assert page.status_code == 200 and "人行道铺设透水砖" in page.text and "From your offer" in page.text
    sign_in_as(client, session, Role.STAFF)
    assert client.get("/recommended").status_code == 403
