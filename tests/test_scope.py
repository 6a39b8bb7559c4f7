"""Scope in the service queries: nobody reaches another organization's or another grid's rows, by page or API."""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.organizations.scope import organizations_visible_to, volunteers_visible_to
from marketplace.places.models import Grid
from marketplace.security.identity import load_current_user
from marketplace.settings import Settings
from marketplace.volunteers.models import VolunteerProfile, VolunteerSegment
from tests.orgs_helpers import form_post, make_places, sign_in
from tests.security_helpers import make_org, make_user


def volunteer_in(session: Session, grid: Grid, phone: str = "13800138000") -> VolunteerProfile:
    user = make_user(session, Role.VOLUNTEER, phone=phone)
    profile = VolunteerProfile(user_id=user.id, home_grid_id=grid.id, segment=VolunteerSegment.RESIDENT)  # type: ignore[arg-type]
    session.add(profile)
    session.commit()
    return profile


@pytest.fixture
def two_orgs(session: Session) -> dict[str, Any]:
    make_places(session)
    org_a = make_org(session, OrganizationStatus.APPROVED, name="甲公司")
    org_b = make_org(session, OrganizationStatus.PENDING, name="乙公司")
    manager_a = make_user(session, Role.PARTNER, organization_id=org_a.id, is_org_manager=True)
    user_b = make_user(session, Role.PARTNER, organization_id=org_b.id, username="b_member")
    approved_b = make_org(session, OrganizationStatus.APPROVED, name="丙公司")
    session.commit()
    return {"a": org_a.id, "b": org_b.id, "c": approved_b.id, "manager_a": manager_a, "user_b": user_b.id}


def test_partner_of_a_cannot_read_b_by_page_or_api(
    client: TestClient[Any], session: Session, settings: Settings, two_orgs: dict[str, Any]
) -> None:
    sign_in(client, session, two_orgs["manager_a"], settings)
    for other in (two_orgs["b"], two_orgs["c"]):
        assert client.get(f"/admin/organizations/{other}").status_code == 403
    # Another's pending organization is not found; another's approved one shows what anyone sees.
    assert client.get(f"/api/v1/organizations/{two_orgs['b']}").status_code == 404
    other = client.get(f"/api/v1/organizations/{two_orgs['c']}").json()
    assert set(other) == {"id", "name", "name_en", "kind", "grids"}
    listed = {item["id"]: item for item in client.get("/api/v1/organizations").json()["items"]}
    assert set(listed) == {two_orgs["a"], two_orgs["c"]}
    assert listed[two_orgs["a"]]["contact_phone"]  # their own contacts
    assert "contact_phone" not in listed[two_orgs["c"]]
    own = client.get("/organization")
    assert own.status_code == 200 and "甲公司" in own.text and "乙公司" not in own.text


def test_partner_of_a_cannot_change_b_or_its_users(
    client: TestClient[Any], session: Session, settings: Settings, two_orgs: dict[str, Any]
) -> None:
    sign_in(client, session, two_orgs["manager_a"], settings)
    user_b = two_orgs["user_b"]
    for action in ("disable", "manager", "enable"):
        response = form_post(client, settings, f"/organization/users/{user_b}/{action}", {})
        assert response.status_code == 404, action
    assert form_post(client, settings, f"/api/v1/organizations/{two_orgs['b']}/decision", {}).status_code == 403
    session.expire_all()
    victim = session.get(User, user_b)
    assert victim is not None and victim.is_active and not victim.is_org_manager
    org_b = session.get(Organization, two_orgs["b"])
    assert org_b is not None and org_b.status == OrganizationStatus.PENDING
    session.rollback()


def test_anonymous_sees_only_approved_public_fields(
    client: TestClient[Any], session: Session, two_orgs: dict[str, Any]
) -> None:
    items = client.get("/api/v1/organizations").json()["items"]
    assert sorted(item["id"] for item in items) == sorted([two_orgs["a"], two_orgs["c"]])
    for item in items:
        assert set(item) == {"id", "name", "name_en", "kind", "grids"}
    assert client.get(f"/api/v1/organizations/{two_orgs['b']}").status_code == 404
    assert client.get("/api/v1/organizations?status=pending").json()["items"] == []
    for path in ("/organization", "/admin/organizations", f"/admin/organizations/{two_orgs['b']}", "/volunteers"):
        response = client.get(path, follow_redirects=False)
        # Pages send the anonymous to the sign-in page; nothing of the organization is in the answer.
        assert response.status_code in (401, 302, 303), path
        assert "乙公司" not in response.text


def test_query_scope_for_every_role(session: Session, two_orgs: dict[str, Any]) -> None:
    def visible(user_id: int | None) -> set[int]:
        actor = load_current_user(session, user_id) if user_id else None
        return set(session.execute(organizations_visible_to(actor).with_only_columns(Organization.id)).scalars())

    admin = make_user(session, Role.ADMIN)
    staff = make_user(session, Role.STAFF)
    volunteer = make_user(session, Role.VOLUNTEER)
    everything = {two_orgs["a"], two_orgs["b"], two_orgs["c"]}
    assert visible(admin.id) == everything
    # A partner: the approved ones, as everybody, and their own whatever its status.
    assert visible(two_orgs["manager_a"].id) == {two_orgs["a"], two_orgs["c"]}
    assert visible(two_orgs["user_b"]) == everything
    for user_id in (staff.id, volunteer.id, None):
        assert visible(user_id) == {two_orgs["a"], two_orgs["c"]}


def test_staff_see_only_volunteers_of_their_community_or_grids(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, communities, grids = make_places(session)
    in_x = volunteer_in(session, grids[0], phone="13812348000")
    in_y = volunteer_in(session, grids[2])
    in_y2 = volunteer_in(session, grids[3])
    staff_x = make_user(session, Role.STAFF, community_id=communities[0].id)
    grid_worker = make_user(session, Role.STAFF, grid_ids=[grids[3].id])
    ids = {"x": in_x.id, "y": in_y.id, "y2": in_y2.id}

    def visible(user: User) -> set[int]:
        actor = load_current_user(session, user.id)  # type: ignore[arg-type]
        return set(session.execute(volunteers_visible_to(actor).with_only_columns(VolunteerProfile.id)).scalars())

    assert visible(staff_x) == {ids["x"]}
    assert visible(grid_worker) == {ids["y2"]}
    session.rollback()

    sign_in(client, session, staff_x, settings)
    page = client.get("/volunteers")
    assert page.status_code == 200
    assert "138****8000" in page.text and "13812348000" not in page.text
    assert client.get(f"/volunteers/{ids['x']}").status_code == 200
    assert client.get(f"/volunteers/{ids['y']}").status_code == 404
    assert client.get(f"/volunteers/{ids['y2']}").status_code == 404


def test_volunteer_cannot_see_other_volunteers(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _s, _c, grids = make_places(session)
    me = volunteer_in(session, grids[0])
    other = volunteer_in(session, grids[0])
    me_user = session.get(User, me.user_id)
    other_id = other.id
    session.rollback()
    sign_in(client, session, me_user, settings)  # type: ignore[arg-type]
    assert client.get("/volunteers").status_code == 403
    assert client.get(f"/volunteers/{other_id}").status_code == 403
    mine = client.get("/api/v1/volunteers/me").json()
    assert mine["id"] == me.id
    actor = load_current_user(session, me.user_id)
    assert set(session.execute(volunteers_visible_to(actor).with_only_columns(VolunteerProfile.id)).scalars()) == {
        me.id
    }
    session.rollback()


def test_partner_and_anonymous_see_no_volunteers(session: Session, two_orgs: dict[str, Any]) -> None:
    grid = session.execute(sa.select(Grid)).scalars().first()
    volunteer_in(session, grid)  # type: ignore[arg-type]
    for actor in (load_current_user(session, two_orgs["manager_a"].id), None):
        assert session.execute(volunteers_visible_to(actor)).first() is None
    session.rollback()
