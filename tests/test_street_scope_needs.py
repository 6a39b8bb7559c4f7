"""Two streets in one deployment: needs, the review inbox, claims, recommendations, escalations and the
admins' notifications stay in their street.

A street admin sees, counts and decides only their street's needs and matches (another street's look
missing: 404); a city admin (no street) sees both. A partner takes part only where its organization
serves (403 naming the street, on the page and the API, in both languages). A need is ranked against
the volunteers and offers serving its street. Admins told about a need are its street's and the city's.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.notifications.models import Notification
from marketplace.notifications.recipients import admins_of_need
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization, OrganizationGrid
from marketplace.places.models import Grid, Street
from marketplace.recommend import services
from marketplace.settings import Settings
from marketplace.volunteers.models import AvailabilitySlot, VolunteerProfile, VolunteerSegment, VolunteerStreet
from tests import matches_factories as mf
from tests.factories import make_offer
from tests.needs_helpers import token_for
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    default_street,
    login,
    make_community,
    make_grid,
    make_org,
    make_user,
    post_form,
    reading,
)

SCOPES = ("needs:read", "needs:write", "matches:read", "matches:write")


@pytest.fixture(autouse=True)
def fresh_indexes() -> Iterator[None]:
    services.forget()
    yield
    services.forget()


@dataclass
class Side:
    """One street's rows: a grid, a published need with a line and a shift, its admin and a partner."""

    street: Street
    grid: Grid
    need: Need
    line: ResourceLine
    shift: Shift
    admin: User
    partner: User
    organization: Organization
    offer: Offer


@dataclass
class City:
    a: Side
    b: Side
    city_admin: User


def _headers(session: Session, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(session, user, SCOPES)}"}


def _set_street(session: Session, model: Any, row_id: int, street_id: int | None) -> None:
    session.execute(sa.update(model).where(model.id == row_id).values(street_id=street_id))
    session.commit()


def _side(session: Session, street: Street, tag: str) -> Side:
    grid = make_grid(session, make_community(session, street))
    need = mf.project(session, grid, title=f"{tag}街道的需求")
    line = mf.line(session, need, "50")
    shift = mf.shift(session, need, slots=3)
    organization = make_org(session, name=f"{tag}合伙人")
    organization.street_id = street.id  # type: ignore[assignment]
    session.commit()
    partner = make_user(session, Role.PARTNER, organization_id=organization.id)
    admin = make_user(session, Role.ADMIN, display_name=f"{tag}管理员")
    _set_street(session, User, admin.id or 0, street.id)
    offer = make_offer(session, organization, title=f"{tag}透水砖", quantity=100, remaining_quantity=100)
    session.commit()
    return Side(street, grid, need, line, shift, admin, partner, organization, offer)


@pytest.fixture
def city(session: Session) -> City:
    street_a = default_street(session)
    street_b = Street(code="sifang", name="四方街道", name_en="Sifang Street", district="市北区", city="青岛市")
    session.add(street_b)
    session.commit()
    a, b = _side(session, street_a, "湖岛"), _side(session, street_b, "四方")
    city_admin = make_user(session, Role.ADMIN, display_name="市级管理员")
    _set_street(session, User, city_admin.id or 0, None)
    return City(a, b, city_admin)


def _claim(client: TestClient[Any], session: Session, side: Side) -> int:
    body = {"kind": "line", "resource_line_id": side.line.id, "offer_id": side.offer.id, "quantity": "5"}
    response = client.post(
        f"/api/v1/projects/{side.need.id}/claims", json=body, headers=_headers(session, side.partner)
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _sign_in(client: TestClient[Any], user: User) -> None:
    client.cookies.clear()
    response = login(client, user.username, DEFAULT_PASSWORD)
    assert response.status_code in (302, 303), response.text[:300]


# --- needs: lists, details, actions ------------------------------------------------------------------------


def test_a_street_admin_lists_and_opens_only_their_streets_needs(
    client: TestClient[Any], session: Session, city: City
) -> None:
    a, b = city.a, city.b
    listing = client.get("/api/v1/needs", params={"page_size": 100}, headers=_headers(session, a.admin))
    assert listing.status_code == 200, listing.text
    ids = {item["id"] for item in listing.json()["items"]}
    assert a.need.id in ids and b.need.id not in ids
    assert listing.json()["total"] == len(ids)
    assert client.get(f"/api/v1/needs/{b.need.id}", headers=_headers(session, a.admin)).status_code == 404
    assert client.get(f"/api/v1/needs/{a.need.id}", headers=_headers(session, a.admin)).status_code == 200
    # An action on another street's need is refused as if it did not exist, and changes nothing.
    escalated = client.post(
        f"/api/v1/needs/{b.need.id}/escalate", json={"reason": "越街操作"}, headers=_headers(session, a.admin)
    )
    assert escalated.status_code == 404, escalated.text
    everything = client.get("/api/v1/needs", params={"page_size": 100}, headers=_headers(session, city.city_admin))
    assert {a.need.id, b.need.id} <= {item["id"] for item in everything.json()["items"]}
    assert client.get(f"/api/v1/needs/{b.need.id}", headers=_headers(session, city.city_admin)).status_code == 200


# --- the review inbox: list, counts, decisions, bulk --------------------------------------------------------


def test_the_review_inbox_counts_and_decides_only_the_admins_street(
    client: TestClient[Any], session: Session, city: City
) -> None:
    a, b = city.a, city.b
    mine, theirs = _claim(client, session, a), _claim(client, session, b)
    as_a = _headers(session, a.admin)
    inbox = client.get("/api/v1/review", headers=as_a).json()
    assert [item["id"] for item in inbox["items"]] == [mine]
    assert inbox["total"] == 1 and sum(inbox["counts"]["kind"].values()) == 1
    assert client.get("/api/v1/review", params={"need": b.need.id}, headers=as_a).json()["total"] == 0
    # Deciding another street's match: 404, alone or in bulk, and it stays proposed.
    decision = client.post(f"/api/v1/matches/{theirs}/decision", json={"decision": "approve"}, headers=as_a)
    assert decision.status_code == 404, decision.text
    bulk = client.post("/api/v1/matches/bulk-reject", json={"ids": [theirs], "reason": "越街"}, headers=as_a)
    assert bulk.status_code in (200, 201) and bulk.json()["rejected"] == [], bulk.text
    by_filter = client.post("/api/v1/matches/bulk-reject", json={"filter": {}, "reason": "本街道拒绝"}, headers=as_a)
    assert by_filter.json()["rejected"] == [mine], by_filter.text
    with reading(session) as fresh:
        assert fresh.get(Match, theirs).status is MatchStatus.PROPOSED  # type: ignore[union-attr]
    # The city admin sees the other street's claim and may decide it.
    city_inbox = client.get("/api/v1/review", headers=_headers(session, city.city_admin)).json()
    assert [item["id"] for item in city_inbox["items"]] == [theirs]
    approved = client.post(
        f"/api/v1/matches/{theirs}/decision", json={"decision": "approve"}, headers=_headers(session, city.city_admin)
    )
    assert approved.status_code in (200, 201), approved.text


def test_the_review_page_of_a_street_admin_leaves_other_streets_out(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    a, b = city.a, city.b
    _claim(client, session, a)
    theirs = _claim(client, session, b)
    _sign_in(client, a.admin)
    page = client.get("/review")
    assert page.status_code == 200
    assert a.need.title in page.text and b.need.title not in page.text
    assert post_form(client, settings, f"/review/{theirs}/approve").status_code == 404
    bulk = post_form(client, settings, "/review/bulk-approve", {"scope": "ids", "ids": [str(theirs)]})
    assert bulk.status_code == 200 and b.need.title not in bulk.text
    with reading(session) as fresh:
        assert fresh.get(Match, theirs).status is MatchStatus.PROPOSED  # type: ignore[union-attr]
    _sign_in(client, city.city_admin)
    both = client.get("/review").text
    assert a.need.title in both and b.need.title in both


# --- escalations ------------------------------------------------------------------------------------------


def test_escalations_list_and_acknowledge_within_the_street_and_tell_only_its_admins(
    client: TestClient[Any], session: Session, city: City
) -> None:
    a, b = city.a, city.b
    as_city = _headers(session, city.city_admin)
    for level in ("grid", "community", "street"):
        response = client.post(f"/api/v1/needs/{b.need.id}/escalate", json={"reason": "无人处理"}, headers=as_city)
        assert response.status_code == 201 and response.json()["level"] == level, response.text
    as_a, as_b = _headers(session, a.admin), _headers(session, b.admin)
    assert client.get("/api/v1/escalations", headers=as_a).json()["items"] == []
    steps = client.get("/api/v1/escalations", headers=as_b).json()["items"]
    assert {step["need_id"] for step in steps} == {b.need.id}
    street_step = next(step["id"] for step in steps if step["level"] == "street")
    assert client.post(f"/api/v1/escalations/{street_step}/acknowledge", headers=as_a).status_code == 404
    assert client.post(f"/api/v1/escalations/{street_step}/acknowledge", headers=as_b).status_code == 200
    with reading(session) as fresh:
        told = set(
            fresh.execute(sa.select(Notification.user_id).where(Notification.kind == "escalation_opened")).scalars()
        )
    assert b.admin.id in told and city.city_admin.id in told and a.admin.id not in told


def test_the_admins_of_a_need_are_its_streets_and_the_citys(session: Session, city: City) -> None:
    with reading(session) as fresh:
        assert admins_of_need(fresh, city.a.need.id or 0) == sorted([city.a.admin.id, city.city_admin.id])  # type: ignore[type-var]
        assert admins_of_need(fresh, city.b.need.id or 0) == sorted([city.b.admin.id, city.city_admin.id])  # type: ignore[type-var]


# --- rule 4: partners take part only where their organization serves -------------------------------------


def test_a_partner_cannot_claim_in_a_street_its_organization_does_not_serve_api(
    client: TestClient[Any], session: Session, city: City
) -> None:
    a, b = city.a, city.b
    headers = _headers(session, a.partner)
    address = f"/api/v1/projects/{b.need.id}/claims"
    refused = client.post(address, json={"kind": "whole"}, headers=headers)
    assert refused.status_code == 403 and "四方街道" in refused.json()["detail"], refused.text
    english = client.post(address, json={"kind": "whole"}, headers=headers | {"Accept-Language": "en"})
    assert english.status_code == 403
    assert english.json()["detail"] == "Your organization does not serve Sifang Street."
    with reading(session) as fresh:
        assert fresh.execute(sa.select(Match.id).where(Match.need_id == b.need.id)).first() is None
    # Serving one of the street's grids makes the organization serve the street.
    session.add(OrganizationGrid(organization_id=a.organization.id or 0, grid_id=b.grid.id or 0))
    session.commit()
    assert client.post(address, json={"kind": "whole"}, headers=headers).status_code == 201


def test_a_partner_is_told_on_the_page_which_street_its_organization_does_not_serve(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    a, b = city.a, city.b
    _sign_in(client, a.partner)
    page = client.get(f"/projects/{b.need.id}/take-part")
    assert page.status_code == 403 and "贵单位不服务四方街道。" in page.text
    posted = post_form(client, settings, f"/projects/{b.need.id}/claim", {"kind": "whole"})
    assert posted.status_code == 403 and "贵单位不服务四方街道。" in posted.text
    client.cookies.set("lang", "en")
    assert "Your organization does not serve Sifang Street." in client.get(f"/projects/{b.need.id}/take-part").text
    assert client.get(f"/projects/{a.need.id}/take-part").status_code == 200


# --- rule 5: recommendations only from candidates serving the need's street ------------------------------


def _available_volunteer(session: Session, grid: Grid, name: str) -> int:
    user = make_user(session, Role.VOLUNTEER, display_name=name)
    profile = VolunteerProfile(user_id=user.id or 0, home_grid_id=grid.id or 0, segment=VolunteerSegment.RESIDENT)
    session.add(profile)
    session.flush()
    session.add_all(
        [AvailabilitySlot(volunteer_id=profile.id or 0, weekday=d, start_minute=0, end_minute=1440) for d in range(7)]
    )
    session.commit()
    return profile.id or 0


def _recommended(client: TestClient[Any], session: Session, user: User, need: Need, kind: str) -> set[int]:
    response = client.get(
        f"/api/v1/needs/{need.id}/recommendations", params={"kind": kind, "k": 20}, headers=_headers(session, user)
    )
    assert response.status_code == 200, response.text
    return {row["id"] for part in response.json()["parts"] for row in part["candidates"]}


def test_recommendations_consider_only_candidates_serving_the_needs_street(
    client: TestClient[Any], session: Session, city: City
) -> None:
    a, b = city.a, city.b
    here = _available_volunteer(session, b.grid, "四方志愿者")
    elsewhere = _available_volunteer(session, a.grid, "湖岛志愿者")
    assert _recommended(client, session, city.city_admin, b.need, "volunteers") == {here}
    assert _recommended(client, session, b.admin, b.need, "offers") == {b.offer.id}
    assert _recommended(client, session, a.admin, a.need, "offers") == {a.offer.id}
    # A volunteer who chose to serve the street too, and an organization serving one of its grids, count.
    session.add(VolunteerStreet(volunteer_id=elsewhere, street_id=b.street.id or 0))
    session.add(OrganizationGrid(organization_id=a.organization.id or 0, grid_id=b.grid.id or 0))
    session.commit()
    assert _recommended(client, session, city.city_admin, b.need, "volunteers") == {here, elsewhere}
    assert _recommended(client, session, b.admin, b.need, "offers") == {a.offer.id, b.offer.id}
    # Another street's admin cannot ask for them at all.
    refused = client.get(
        f"/api/v1/needs/{b.need.id}/recommendations", params={"kind": "offers"}, headers=_headers(session, a.admin)
    )
    assert refused.status_code == 404


# --- proposals: rule 4 when proposed and when accepted, and who hears the answer -------------------------


def _propose(client: TestClient[Any], session: Session, by: User, side: Side, offer: Offer) -> Any:
    body = {"kind": "offers", "part_id": side.line.id, "candidate_id": offer.id}
    return client.post(f"/api/v1/needs/{side.need.id}/proposals", json=body, headers=_headers(session, by))


def test_proposals_go_only_to_serving_organizations_and_answers_reach_the_streets_admins(
    client: TestClient[Any], session: Session, city: City
) -> None:
    a, b = city.a, city.b
    outside = _propose(client, session, city.city_admin, b, a.offer)
    assert outside.status_code == 400 and "candidate_id" in outside.text, outside.text
    assert _propose(client, session, a.admin, b, b.offer).status_code == 404  # another street's need
    proposed = _propose(client, session, b.admin, b, b.offer)
    assert proposed.status_code == 201, proposed.text
    accepted = client.post(f"/api/v1/proposals/{proposed.json()['id']}/accept", headers=_headers(session, b.partner))
    assert accepted.status_code == 200, accepted.text
    with reading(session) as fresh:
        told = set(
            fresh.execute(sa.select(Notification.user_id).where(Notification.kind == "proposal_answered")).scalars()
        )
    assert told == {b.admin.id, city.city_admin.id}


def test_a_proposal_cannot_be_accepted_once_the_organization_no_longer_serves_the_street(
    client: TestClient[Any], session: Session, city: City
) -> None:
    a, b = city.a, city.b
    serving = OrganizationGrid(organization_id=a.organization.id or 0, grid_id=b.grid.id or 0)
    session.add(serving)
    session.commit()
    proposed = _propose(client, session, city.city_admin, b, a.offer)
    assert proposed.status_code == 201, proposed.text
    session.execute(sa.delete(OrganizationGrid).where(OrganizationGrid.organization_id == a.organization.id))
    session.commit()
    refused = client.post(f"/api/v1/proposals/{proposed.json()['id']}/accept", headers=_headers(session, a.partner))
    assert refused.status_code == 403 and "四方街道" in refused.json()["detail"], refused.text


def test_a_partner_is_recommended_projects_only_in_streets_it_serves(
    client: TestClient[Any], session: Session, city: City
) -> None:
    a, b = city.a, city.b
    _sign_in(client, a.partner)
    page = client.get("/recommended")
    assert page.status_code == 200 and a.need.title in page.text and b.need.title not in page.text
    session.add(OrganizationGrid(organization_id=a.organization.id or 0, grid_id=b.grid.id or 0))
    session.commit()
    assert b.need.title in client.get("/recommended").text
