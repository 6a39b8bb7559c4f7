"""Who reads which organizations through GET /api/v1/organizations (list and one), by session and by token.

One rule: everybody sees the approved organizations' public fields (exactly what an anonymous visitor
sees); a partner also sees their own organization in full, whatever its status; admins see their streets'
organizations in full. Contacts (person, phone) never leave for anyone else. Real app, real database
(SQLite, or PostgreSQL with MARKETPLACE_TEST_DATABASE_URL).
"""

import re
from dataclasses import dataclass
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.organizations.models import OrganizationGrid, OrganizationStatus
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.orgs_helpers import sign_in
from tests.security_helpers import make_grid, make_org, make_user

PUBLIC_FIELDS = {"id", "name", "name_en", "kind", "grids"}
# A mainland mobile number anywhere in an answer (masked ones, 138****8000, do not match).
PHONE = re.compile(r"1[3-9]\d{9}")


@dataclass
class Orgs:
    own: int  # the partner's organization, pending
    approved: int  # another partner's, approved
    pending: int  # another partner's, pending
    suspended: int  # another partner's, suspended
    users: dict[str, User]

    @property
    def others_hidden(self) -> list[int]:
        return [self.pending, self.suspended]


@pytest.fixture
def orgs(session: Session) -> Orgs:
    made = {}
    for key, status, phone in (
        ("own", OrganizationStatus.PENDING, "13911110001"),
        ("approved", OrganizationStatus.APPROVED, "13911110002"),
        ("pending", OrganizationStatus.PENDING, "13911110003"),
        ("suspended", OrganizationStatus.SUSPENDED, "13911110004"),
    ):
        org = make_org(session, status, name=f"可见性{key}")
        org.contact_phone = phone
        session.add(OrganizationGrid(organization_id=org.id, grid_id=make_grid(session).id))  # type: ignore[arg-type]
        made[key] = org.id
    session.commit()
    users = {
        "partner": make_user(session, Role.PARTNER, organization_id=made["own"], is_org_manager=True),
        "volunteer": make_user(session, Role.VOLUNTEER, phone="13922220001"),
        "staff": make_user(session, Role.STAFF, phone="13922220002"),
        "admin": make_user(session, Role.ADMIN, phone="13922220003"),
    }
    return Orgs(users=users, **made)


def token(session: Session, user: User, *scopes: str) -> dict[str, str]:
    secret, _row = create_api_token(
        session, user_id=user.id, name="visibility", scopes=list(scopes), created_by_id=None
    )  # type: ignore[arg-type]
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def read(client: TestClient[Any], orgs: Orgs, headers: dict[str, str] | None = None) -> dict[str, Any]:
    """The list and every organization's own answer, as this caller gets them."""
    listing = client.get("/api/v1/organizations", params={"page_size": 100}, headers=headers)
    assert listing.status_code == 200, listing.text
    answers: dict[str, Any] = {"list": listing.json()["items"], "text": listing.text}
    for key in ("own", "approved", "pending", "suspended"):
        one = client.get(f"/api/v1/organizations/{getattr(orgs, key)}", headers=headers)
        answers[key] = one.json() if one.status_code == 200 else one.status_code
        answers["text"] += one.text
    return answers


def as_anonymous(client: TestClient[Any], orgs: Orgs) -> dict[str, Any]:
    client.cookies.clear()
    return read(client, orgs)


def test_anonymous_sees_the_approved_organizations_public_fields_only(client: TestClient[Any], orgs: Orgs) -> None:
    seen = as_anonymous(client, orgs)
    assert [item["id"] for item in seen["list"]] == [orgs.approved]
    assert set(seen["list"][0]) == PUBLIC_FIELDS and seen["list"][0]["grids"]
    assert seen["approved"] == seen["list"][0]
    assert seen["own"] == seen["pending"] == seen["suspended"] == 404
    assert PHONE.findall(seen["text"]) == []


@pytest.mark.parametrize("role", ["volunteer", "staff"])
def test_volunteers_and_staff_see_exactly_what_anonymous_sees(
    client: TestClient[Any], session: Session, settings: Settings, orgs: Orgs, role: str
) -> None:
    anonymous = as_anonymous(client, orgs)
    user = orgs.users[role]
    by_token = read(client, orgs, token(session, user, "needs:read", "matches:read", "profile:read"))
    sign_in(client, session, user, settings)
    by_session = read(client, orgs)
    assert by_session == by_token == anonymous, role


def test_a_partner_sees_the_approved_ones_and_their_own_in_full_by_session(
    client: TestClient[Any], session: Session, settings: Settings, orgs: Orgs
) -> None:
    anonymous = as_anonymous(client, orgs)
    sign_in(client, session, orgs.users["partner"], settings)
    seen = read(client, orgs)
    listed = {item["id"]: item for item in seen["list"]}
    assert set(listed) == {orgs.own, orgs.approved}
    # Another's approved organization: exactly the anonymous answer, no contact, no status.
    assert listed[orgs.approved] == seen["approved"] == anonymous["approved"]
    # Their own, pending: everything, with the revision a resubmission is based on.
    own = seen["own"]
    assert own["status"] == "pending" and own["contact_phone"] == "13911110001" and own["revision"]
    assert listed[orgs.own]["contact_phone"] == "13911110001"
    assert seen["pending"] == seen["suspended"] == 404
    # The only phone in any answer is their own organization's.
    assert set(PHONE.findall(seen["text"])) == {"13911110001"}
    # Pages stay what they were: their own organization's page; the admins' and staff's ones closed.
    assert "可见性own" in client.get("/organization").text
    assert client.get(f"/admin/organizations/{orgs.approved}").status_code == 403
    assert client.get("/directory/organizations").status_code == 403


def test_a_partners_token_sees_their_own_only_with_organization_write(
    client: TestClient[Any], session: Session, settings: Settings, orgs: Orgs
) -> None:
    partner = orgs.users["partner"]
    sign_in(client, session, partner, settings)
    by_session = read(client, orgs)
    client.cookies.clear()
    anonymous = read(client, orgs)
    assert read(client, orgs, token(session, partner, "organization:write")) == by_session
    # A narrow token is answered as anyone: the approved ones, and its own pending one is not found.
    assert read(client, orgs, token(session, partner, "matches:read", "offers:write")) == anonymous


def test_a_partner_cannot_filter_their_way_to_others_pending_organizations(
    client: TestClient[Any], session: Session, settings: Settings, orgs: Orgs
) -> None:
    sign_in(client, session, orgs.users["partner"], settings)
    for status, expected in (("pending", [orgs.own]), ("suspended", []), ("approved", [orgs.approved])):
        items = client.get("/api/v1/organizations", params={"status": status}).json()["items"]
        assert [item["id"] for item in items] == expected, status


def test_admins_keep_their_view_by_session_and_by_admin_token(
    client: TestClient[Any], session: Session, settings: Settings, orgs: Orgs
) -> None:
    admin = orgs.users["admin"]
    anonymous = as_anonymous(client, orgs)
    everyone = {orgs.own, orgs.approved, orgs.pending, orgs.suspended}
    by_token = read(client, orgs, token(session, admin, "admin"))
    sign_in(client, session, admin, settings)
    by_session = read(client, orgs)
    for seen in (by_session, by_token):
        assert {item["id"] for item in seen["list"]} == everyone
        assert seen["suspended"]["status"] == "suspended" and seen["pending"]["contact_phone"] == "13911110003"
    client.cookies.clear()
    assert read(client, orgs, token(session, admin, "needs:read")) == anonymous
