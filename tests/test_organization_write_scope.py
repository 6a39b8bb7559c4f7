"""The organization:write token scope: a partner's script resends its organization's rejected application.

It replaces profile:write ("your own volunteer profile") on that route; tokens issued with profile:write
before it existed keep working there. Real app, real database (SQLite, or PostgreSQL with
MARKETPLACE_TEST_DATABASE_URL).
"""

import html
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.organizations.models import OrganizationStatus
from marketplace.settings import Settings
from tests.orgs_helpers import sign_in
from tests.security_helpers import make_user
from tests.test_organization_resubmit import api_body, bearer, fresh, rejected_org_with_manager, valid_org


def resubmit(client: TestClient[Any], organization_id: int, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return client.post(f"/api/v1/organizations/{organization_id}/resubmit", json=body, headers=headers)


def test_a_token_with_organization_write_resubmits(client: TestClient[Any], session: Session) -> None:
    org_id, manager, grids = rejected_org_with_manager(session)
    row = fresh(session, org_id)
    headers = bearer(session, manager, ["organization:write"])
    # The same token reads its own (rejected) organization, with the revision to send back.
    revision = client.get(f"/api/v1/organizations/{org_id}", headers=headers).json()["revision"]
    answer = resubmit(client, org_id, api_body(row, grids[:1], contact_name="赵六", revision=revision), headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "pending" and answer.json()["contact_name"] == "赵六"
    assert fresh(session, org_id).status == OrganizationStatus.PENDING


def test_a_token_with_only_matches_read_is_refused_naming_the_scope(client: TestClient[Any], session: Session) -> None:
    org_id, manager, grids = rejected_org_with_manager(session)
    row = fresh(session, org_id)
    answer = resubmit(client, org_id, api_body(row, grids[:1]), bearer(session, manager, ["matches:read"]))
    assert answer.status_code == 403
    assert "organization:write" in answer.json()["detail"]
    assert fresh(session, org_id).status == OrganizationStatus.REJECTED


def test_a_token_issued_with_profile_write_still_resubmits(client: TestClient[Any], session: Session) -> None:
    """Partners' scripts were given profile:write for this route before organization:write existed."""
    org_id, manager, grids = rejected_org_with_manager(session)
    row = fresh(session, org_id)
    answer = resubmit(client, org_id, api_body(row, grids[:1]), bearer(session, manager, ["profile:write"]))
    assert answer.status_code == 200, answer.text
    assert fresh(session, org_id).status == OrganizationStatus.PENDING


def test_the_scope_reaches_only_the_partners_own_organization(client: TestClient[Any], session: Session) -> None:
    """The partner may read another's approved organization, but never change it: 404, as if it did not exist."""
    org_id, manager, grids = rejected_org_with_manager(session)
    other_rejected, _other_manager, _grids = rejected_org_with_manager(session)
    other_approved = valid_org(session, OrganizationStatus.APPROVED).id
    session.commit()
    headers = bearer(session, manager, ["organization:write"])
    row = fresh(session, org_id)
    assert client.get(f"/api/v1/organizations/{other_approved}", headers=headers).status_code == 200
    for other in (other_approved, other_rejected):
        answer = resubmit(client, other, api_body(row, grids[:1]), headers)  # type: ignore[arg-type]
        assert answer.status_code == 404, (other, answer.text)
    assert fresh(session, other_approved).status == OrganizationStatus.APPROVED  # type: ignore[arg-type]
    assert fresh(session, other_rejected).status == OrganizationStatus.REJECTED


def test_the_scope_does_not_lift_the_role(client: TestClient[Any], session: Session) -> None:
    org_id, _manager, grids = rejected_org_with_manager(session)
    volunteer = make_user(session, Role.VOLUNTEER)
    row = fresh(session, org_id)
    answer = resubmit(client, org_id, api_body(row, grids[:1]), bearer(session, volunteer, ["organization:write"]))
    assert answer.status_code == 403
    assert fresh(session, org_id).status == OrganizationStatus.REJECTED


def test_the_token_page_offers_the_scope_in_both_languages(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    sign_in(client, session, make_user(session, Role.ADMIN), settings)
    client.cookies.set("lang", "en")
    english = html.unescape(client.get("/admin/tokens").text)
    assert 'value="organization:write"' in english
    assert "Correct and resend your organization's application (partners)" in english
    client.cookies.set("lang", "zh-CN")
    chinese = client.get("/admin/tokens").text
    assert "修改并重新提交本单位的入驻申请（合伙人）" in chinese


def test_the_api_documents_the_scope(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    operation = schema["paths"]["/api/v1/organizations/{organization_id}/resubmit"]["post"]
    assert "`organization:write`" in operation["description"] and "`profile:write`" in operation["description"]
    listing = schema["paths"]["/api/v1/organizations"]["get"]["description"]
    assert "Partners also their own organization" in listing
