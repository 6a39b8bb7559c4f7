"""Many streets in one deployment: organizations, volunteers and offers kept to the street an admin works in.

Two streets (甲 and 乙), a street admin of each and a city admin (an admin naming no street). Organizations
registered in 甲, in 乙, and one registered in 甲 that also serves a grid of 乙; volunteers living in 甲, in 乙,
and one living in 甲 who also serves 乙. A street admin sees, vets and reads only what serves their street
(another street's organization, volunteer or offer is not found: 404); the city admin sees every street.
A volunteer chooses the streets they also serve on their profile page and through the API.
"""

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db.types import utcnow
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationKind, OrganizationStatus
from marketplace.places.models import Community, Grid, Street
from marketplace.settings import Settings
from marketplace.vocabulary import Category, ResourceKind
from marketplace.volunteers.models import VolunteerProfile, VolunteerSegment, VolunteerStreet
from tests.orgs_helpers import form_post, sign_in, valid_credit_code
from tests.security_helpers import csrf_for, reading


@dataclass
class City:
    street_a: int
    street_b: int
    grids_a: list[int]
    grids_b: list[int]
    admin_a: User
    admin_b: User
    city_admin: User
    staff_b: User
    org_a: int  # registered in 甲, pending
    org_b: int  # registered in 乙, pending
    org_ab: int  # registered in 甲, serving a grid of 乙 too; approved
    partner_ab: User
    offer_a: int
    offer_b: int
    offer_ab: int
    volunteer_a: int
    volunteer_b: int
    volunteer_ab: int  # lives in 甲, also serves 乙
    volunteer_a_user: User


def _street(session: Session, code: str, name: str, name_en: str, first_grid: int) -> tuple[int, list[int]]:
    street = Street(code=code, name=name, name_en=name_en, district="市北区", city="青岛市")
    session.add(street)
    session.flush()
    community = Community(street_id=street.id, name=f"{name}第一社区", name_en=f"{name_en} Community 1")  # type: ignore[arg-type]
    session.add(community)
    session.flush()
    grids = []
    for number in (1, 2):
        grid = Grid(
            code=f"{code}-G{number}",
            community_id=community.id,  # type: ignore[arg-type]
            number=number,
            name=f"{name}第{number}网格",
            name_en=f"{name_en} grid {number}",
            latitude=36.1,
            longitude=120.3,
        )
        session.add(grid)
        session.flush()
        grids.append(grid.id)
    assert street.id is not None
    return street.id, grids  # type: ignore[return-value]


def _user(session: Session, username: str, role: Role, **fields: Any) -> User:
    user = User(username=username, display_name=username, role=role, phone="13800138000", **fields)
    session.add(user)
    session.flush()
    return user


def _organization(session: Session, street_id: int, name: str, status: OrganizationStatus, grids: list[int]) -> int:
    organization = Organization(
        street_id=street_id,
        name=name,
        kind=OrganizationKind.ENTERPRISE,
        credit_code=valid_credit_code(),
        contact_name="王经理",
        contact_phone="13900139000",
        status=status,
    )
    session.add(organization)
    session.flush()
    for grid_id in grids:
        session.add(OrganizationGrid(organization_id=organization.id, grid_id=grid_id))  # type: ignore[arg-type]
    session.flush()
    return organization.id  # type: ignore[return-value]


def _offer(session: Session, organization_id: int, title: str, grid_id: int) -> int:
    offer = Offer(
        organization_id=organization_id,
        kind=ResourceKind.MATERIAL,
        category=Category.RENOVATION,
        title=title,
        quantity=Decimal(10),
        unit="块",
        remaining_quantity=Decimal(10),
        valid_from=utcnow() - timedelta(days=1),
        status=OfferStatus.ACTIVE,
    )
    session.add(offer)
    session.flush()
    session.add(OfferGrid(offer_id=offer.id, grid_id=grid_id))  # type: ignore[arg-type]
    return offer.id  # type: ignore[return-value]


def _volunteer(session: Session, username: str, grid_id: int) -> tuple[int, User]:
    user = _user(session, username, Role.VOLUNTEER)
    profile = VolunteerProfile(user_id=user.id, home_grid_id=grid_id, segment=VolunteerSegment.RESIDENT)  # type: ignore[arg-type]
    session.add(profile)
    session.flush()
    return profile.id, user  # type: ignore[return-value]


@pytest.fixture
def city(session: Session) -> City:
    street_a, grids_a = _street(session, "jia", "甲街道", "Jia Street", 1)
    street_b, grids_b = _street(session, "yi", "乙街道", "Yi Street", 3)
    community_b = session.execute(sa.select(Community.id).where(Community.street_id == street_b)).scalar_one()
    org_a = _organization(session, street_a, "甲街道五金店", OrganizationStatus.PENDING, [grids_a[0]])
    org_b = _organization(session, street_b, "乙街道物业公司", OrganizationStatus.PENDING, [grids_b[0]])
    org_ab = _organization(session, street_a, "两街共建企业", OrganizationStatus.APPROVED, [grids_a[1], grids_b[1]])
    volunteer_a, volunteer_a_user = _volunteer(session, "vol_jia", grids_a[0])
    volunteer_b, _user_b = _volunteer(session, "vol_yi", grids_b[0])
    volunteer_ab, _user_ab = _volunteer(session, "vol_both", grids_a[1])
    session.add(VolunteerStreet(volunteer_id=volunteer_ab, street_id=street_b))
    world = City(
        street_a=street_a,
        street_b=street_b,
        grids_a=grids_a,
        grids_b=grids_b,
        admin_a=_user(session, "admin_jia", Role.ADMIN, street_id=street_a),
        admin_b=_user(session, "admin_yi", Role.ADMIN, street_id=street_b),
        city_admin=_user(session, "admin_city", Role.ADMIN),
        staff_b=_user(session, "staff_yi", Role.STAFF, street_id=street_b, community_id=community_b),
        org_a=org_a,
        org_b=org_b,
        org_ab=org_ab,
        partner_ab=_user(
            session, "partner_both", Role.PARTNER, organization_id=org_ab, is_org_manager=True, street_id=street_a
        ),
        offer_a=_offer(session, org_a, "甲街道的透水砖", grids_a[0]),
        offer_b=_offer(session, org_b, "乙街道的保洁服务", grids_b[0]),
        offer_ab=_offer(session, org_ab, "两街共建的桌椅", grids_b[1]),
        volunteer_a=volunteer_a,
        volunteer_b=volunteer_b,
        volunteer_ab=volunteer_ab,
        volunteer_a_user=volunteer_a_user,
    )
    session.commit()
    return world


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()["items"]}


# --- organizations -------------------------------------------------------------------------------------


def test_each_admin_lists_and_reads_only_organizations_serving_their_street(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    expected = {
        city.admin_a.id: {city.org_a, city.org_ab},
        city.admin_b.id: {city.org_b, city.org_ab},
        city.city_admin.id: {city.org_a, city.org_b, city.org_ab},
    }
    for admin in (city.admin_a, city.admin_b, city.city_admin):
        sign_in(client, session, admin, settings)
        seen = expected[admin.id]
        assert _ids(client.get("/api/v1/organizations")) == seen, admin.username
        assert _ids(client.get("/api/v1/organizations?status=pending")) == seen - {city.org_ab}
        page = client.get("/admin/organizations")
        assert page.status_code == 200
        for organization_id, name in ((city.org_a, "甲街道五金店"), (city.org_b, "乙街道物业公司")):
            assert (name in page.text) == (organization_id in seen), (admin.username, name)
            detail = client.get(f"/admin/organizations/{organization_id}")
            api = client.get(f"/api/v1/organizations/{organization_id}")
            if organization_id in seen:
                assert detail.status_code == 200 and api.status_code == 200
                assert api.json()["contact_phone"] == "13900139000"
            else:
                assert detail.status_code == 404 and api.status_code == 404, admin.username
        # The organization serving both streets is each admin's, with the streets it serves.
        both = client.get(f"/api/v1/organizations/{city.org_ab}").json()
        assert both["street_codes"] == ["jia", "yi"] and both["contact_name"] == "王经理"
        detail = client.get(f"/admin/organizations/{city.org_ab}")
        assert detail.status_code == 200 and ("Streets served" in detail.text or "服务街道" in detail.text)
        assert "甲街道" in detail.text and "乙街道" in detail.text
        assert "partner_both" in detail.text  # its users, for the admins of every street it serves


def test_street_admins_vet_only_organizations_of_their_street(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    sign_in(client, session, city.admin_a, settings)
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    # Another street's registration is not found, by page or API, and stays pending.
    assert form_post(client, settings, f"/admin/organizations/{city.org_b}/approve", {}).status_code == 404
    refused = client.post(f"/api/v1/organizations/{city.org_b}/decision", json={"decision": "approve"}, headers=headers)
    assert refused.status_code == 404
    suspend = {"decision": "suspend", "reason": "资料过期"}
    # Their own street's: approved by page; the shared one may be suspended by either street's admin.
    assert form_post(client, settings, f"/admin/organizations/{city.org_a}/approve", {}).status_code == 303
    sign_in(client, session, city.admin_b, settings)
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    assert form_post(client, settings, f"/admin/organizations/{city.org_a}/reject", {"reason": "x"}).status_code == 404
    suspended = client.post(f"/api/v1/organizations/{city.org_ab}/decision", json=suspend, headers=headers)
    assert suspended.status_code == 200 and suspended.json()["status"] == "suspended"
    # The city admin decides for every street.
    sign_in(client, session, city.city_admin, settings)
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    approved = client.post(
        f"/api/v1/organizations/{city.org_b}/decision", json={"decision": "approve"}, headers=headers
    )
    assert approved.status_code == 200
    with reading(session) as db:
        statuses = {row[0]: row[1] for row in db.execute(sa.select(Organization.id, Organization.status))}
    assert statuses == {
        city.org_a: OrganizationStatus.APPROVED,
        city.org_b: OrganizationStatus.APPROVED,
        city.org_ab: OrganizationStatus.SUSPENDED,
    }


def test_the_partner_sees_the_streets_its_organization_serves(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    sign_in(client, session, city.partner_ab, settings)
    page = client.get("/organization", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    assert "Streets served" in page.text or "服务街道" in page.text
    assert "甲街道" in page.text or "Jia Street" in page.text
    assert "乙街道" in page.text or "Yi Street" in page.text
    assert client.get("/api/v1/organizations").json()["items"][0]["street_codes"] == ["jia", "yi"]


def test_registering_with_another_streets_grids_registers_there(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    form = {
        "name": "乙街道新合伙人",
        "kind": "enterprise",
        "credit_code": valid_credit_code(),
        "contact_name": "赵女士",
        "contact_phone": "13700137000",
        "grid_ids": [str(city.grids_b[1])],
        "street": "yi",  # a city's registration names its street (the form's first field)
        "username": "new_partner_yi",
        "display_name": "赵女士",
        "phone": "13700137000",
        "password": "Hudao-partner-2026!",
    }
    response = form_post(client, settings, "/register/organization", form)
    assert response.status_code == 303, response.text[-1500:]
    with reading(session) as db:
        organization = db.execute(sa.select(Organization).where(Organization.name == "乙街道新合伙人")).scalar_one()
        manager = db.execute(sa.select(User).where(User.username == "new_partner_yi")).scalar_one()
    assert organization.street_id == city.street_b and manager.street_id == city.street_b
    client.cookies.clear()
    sign_in(client, session, city.admin_b, settings)
    assert client.get(f"/admin/organizations/{organization.id}").status_code == 200
    sign_in(client, session, city.admin_a, settings)
    assert client.get(f"/admin/organizations/{organization.id}").status_code == 404


# --- offers ------------------------------------------------------------------------------------------------


def test_offers_are_kept_to_the_organizations_serving_the_street(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    every = {city.offer_a, city.offer_b, city.offer_ab}
    expected = [
        (city.admin_a, {city.offer_a, city.offer_ab}),
        (city.admin_b, {city.offer_b, city.offer_ab}),
        (city.staff_b, {city.offer_b, city.offer_ab}),
        (city.city_admin, every),
    ]
    titles = {city.offer_a: "甲街道的透水砖", city.offer_b: "乙街道的保洁服务", city.offer_ab: "两街共建的桌椅"}
    for viewer, seen in expected:
        sign_in(client, session, viewer, settings)
        listed = client.get("/api/v1/offers")
        assert _ids(listed) == seen, viewer.username
        assert sum(listed.json()["counts"].values()) == len(seen)
        page = client.get("/offers")
        assert page.status_code == 200
        # The grid filter offers the grids of the viewer's street (another street's only to a city admin).
        assert ("乙街道第1网格" in page.text) == (viewer.id != city.admin_a.id), viewer.username
        exported = client.get("/offers/export?format=csv")
        assert exported.status_code == 200
        for offer_id in every:
            visible = offer_id in seen
            assert (titles[offer_id] in page.text) == visible, (viewer.username, offer_id)
            assert (titles[offer_id] in exported.content.decode("utf-8-sig")) == visible
            assert client.get(f"/api/v1/offers/{offer_id}").status_code == (200 if visible else 404)
            assert client.get(f"/offers/{offer_id}").status_code == (200 if visible else 404)


# --- volunteers ----------------------------------------------------------------------------------------------


def test_each_admin_sees_only_volunteers_serving_their_street(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    names = {city.volunteer_a: "vol_jia", city.volunteer_b: "vol_yi", city.volunteer_ab: "vol_both"}
    expected = [
        (city.admin_a, {city.volunteer_a, city.volunteer_ab}),
        (city.admin_b, {city.volunteer_b, city.volunteer_ab}),
        (city.city_admin, set(names)),
    ]
    for admin, seen in expected:
        sign_in(client, session, admin, settings)
        page = client.get("/volunteers")
        exported = client.get("/volunteers/export?format=csv")
        assert page.status_code == 200 and exported.status_code == 200
        exported_ids = [line.split(",")[0] for line in exported.content.decode("utf-8-sig").splitlines()[1:]]
        for profile_id, name in names.items():
            visible = profile_id in seen
            # The directory masks names: a volunteer is found by the link to their page and the file's ID.
            assert (f'href="/volunteers/{profile_id}"' in page.text) == visible, (admin.username, name)
            assert (str(profile_id) in exported_ids) == visible, (admin.username, name)
            assert client.get(f"/volunteers/{profile_id}").status_code == (200 if visible else 404)
    # The admin of 乙 sees that the volunteer living in 甲 also serves 乙.
    sign_in(client, session, city.admin_b, settings)
    detail = client.get(f"/volunteers/{city.volunteer_ab}", headers={"Accept-Language": "en"})
    assert "甲街道" in detail.text or "Jia Street" in detail.text
    assert "乙街道" in detail.text or "Yi Street" in detail.text


def _profile_form(city: City, **extra: Any) -> dict[str, Any]:
    return {
        "display_name": "vol_jia",
        "phone": "13800138000",
        "home_grid_id": str(city.grids_a[0]),
        "segment": "resident",
        "weekly_hour_cap": "8",
    } | extra


def _served_streets(session: Session, profile_id: int) -> list[int]:
    with reading(session) as db:
        query = sa.select(VolunteerStreet.street_id).where(VolunteerStreet.volunteer_id == profile_id)
        return sorted(db.execute(query).scalars())


def test_a_volunteer_chooses_the_streets_they_also_serve_on_the_profile_page(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    sign_in(client, session, city.volunteer_a_user, settings)
    page = client.get("/volunteer/profile")
    assert page.status_code == 200
    # Every street but home is offered.
    assert 'name="street_codes" value="yi"' in page.text and 'value="jia"' not in page.text
    unknown = form_post(
        client, settings, "/volunteer/profile", _profile_form(city, street_codes_shown="1", street_codes=["nowhere"])
    )
    assert unknown.status_code == 400 and "nowhere" in unknown.text
    assert _served_streets(session, city.volunteer_a) == []
    saved = form_post(
        client, settings, "/volunteer/profile", _profile_form(city, street_codes_shown="1", street_codes=["yi"])
    )
    assert saved.status_code == 303, saved.text[-1500:]
    assert _served_streets(session, city.volunteer_a) == [city.street_b]
    page = client.get("/volunteer/profile")
    assert 'value="yi" checked' in page.text
    # Now the admin of 乙 sees them too.
    sign_in(client, session, city.admin_b, settings)
    assert client.get(f"/volunteers/{city.volunteer_a}").status_code == 200
    # Unticking every box clears the choice; a form without the street section leaves it alone.
    sign_in(client, session, city.volunteer_a_user, settings)
    assert form_post(client, settings, "/volunteer/profile", _profile_form(city)).status_code == 303
    assert _served_streets(session, city.volunteer_a) == [city.street_b]
    cleared = form_post(client, settings, "/volunteer/profile", _profile_form(city, street_codes_shown="1"))
    assert cleared.status_code == 303
    assert _served_streets(session, city.volunteer_a) == []
    sign_in(client, session, city.admin_b, settings)
    assert client.get(f"/volunteers/{city.volunteer_a}").status_code == 404


def test_a_volunteer_chooses_the_streets_they_also_serve_through_the_api(
    client: TestClient[Any], session: Session, settings: Settings, city: City
) -> None:
    sign_in(client, session, city.volunteer_a_user, settings)
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    me = client.get("/api/v1/volunteers/me").json()
    assert me["street_codes"] == [] and me["home_street_code"] == "jia"
    unknown = client.put("/api/v1/volunteers/me", json={"street_codes": ["yi", "nowhere"]}, headers=headers)
    assert unknown.status_code == 400 and "street_codes" in unknown.text
    assert unknown.json()["extra"][0]["key"] == "street_codes"
    assert _served_streets(session, city.volunteer_a) == []
    # Home is implied and never stored; the other street is.
    changed = client.put("/api/v1/volunteers/me", json={"street_codes": ["jia", "yi"]}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["street_codes"] == ["yi"]
    assert _served_streets(session, city.volunteer_a) == [city.street_b]
    # Other fields leave the streets alone; an empty list clears them.
    other = client.put("/api/v1/volunteers/me", json={"weekly_hour_cap": 5}, headers=headers)
    assert other.status_code == 200 and other.json()["street_codes"] == ["yi"]
    sign_in(client, session, city.admin_b, settings)
    detail = client.get(f"/volunteers/{city.volunteer_a}")
    assert detail.status_code == 200 and "乙街道" in detail.text
    sign_in(client, session, city.volunteer_a_user, settings)
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    cleared = client.put("/api/v1/volunteers/me", json={"street_codes": []}, headers=headers)
    assert cleared.status_code == 200 and cleared.json()["street_codes"] == []
    assert _served_streets(session, city.volunteer_a) == []
