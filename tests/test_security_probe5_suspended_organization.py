"""Fifth probe: a suspended organization sees no resident, and its members' credentials end.

Before: an admin suspended an organization (page or ``POST /api/v1/organizations/<id>/decision``); its
members' sessions and API tokens went on working, and on an approved claim of the organization they still got
the resident's name, phone and address (``POST /api/v1/claims/<id>/contact`` and the Show contact button on
/claims: 200, audited as shared). Now suspending ends every member's sessions, tokens and reset links (the rule
for disabling, ``security/disabling.py``, counted in the audit row), and the contact is refused (403, the
organization's standing) to a member who signs in again.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, audit_events, fetch, login, make_user, post_form, sign_in_as
from tests.test_contact_consent import _bearer, _claim, _consent, _need


def test_suspending_an_organization_ends_its_members_credentials_and_hides_residents(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    need = _need(session)
    _consent(session, need)
    partner = make_user(session, Role.PARTNER)
    colleague = make_user(session, Role.PARTNER, organization_id=partner.organization_id)
    claim = _claim(session, need, partner)
    token = _bearer(session, partner, "contacts:read", "matches:read")
    colleague_token = _bearer(session, colleague, "matches:read")
    assert client.post(f"/api/v1/claims/{claim.id}/contact", headers=token).status_code == 200  # no cookie yet
    assert login(client, partner.username, DEFAULT_PASSWORD).status_code == 303
    partner_session = client.cookies.get(SESSION_COOKIE)
    assert partner_session

    client.cookies.clear()
    sign_in_as(client, session, Role.ADMIN)
    suspended = post_form(
        client,
        settings,
        f"/admin/organizations/{partner.organization_id}/suspend",
        {"reason": "投诉核查中"},
    )
    assert suspended.status_code in (200, 303), suspended.text[:300]
    assert fetch(session, Organization, partner.organization_id).status is OrganizationStatus.SUSPENDED
    (event,) = audit_events(session, "organization.suspend")
    assert (event.after or {})["tokens_revoked"] == 2 and (event.after or {})["sessions_ended"] >= 1

    # The member's old session and both tokens are nobody now.
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, partner_session)
    assert client.get("/claims", follow_redirects=False).status_code in (303, 401)
    client.cookies.clear()
    assert client.get("/api/v1/claims", headers=token).status_code == 401
    refused = client.post(f"/api/v1/claims/{claim.id}/contact", headers=token)
    assert refused.status_code in (401, 403) and need.beneficiary_phone not in refused.text
    assert client.get("/api/v1/claims", headers=colleague_token).status_code == 401

    # Signed in again, the member reads the standing but no resident's contact (page and API).
    assert login(client, partner.username, DEFAULT_PASSWORD).status_code == 303
    shown = post_form(client, settings, f"/claims/{claim.id}/contact")
    assert shown.status_code == 403
    assert need.beneficiary_phone not in shown.text and need.beneficiary_name not in shown.text
    fresh = _bearer(session, partner, "contacts:read")
    client.cookies.clear()
    answer = client.post(f"/api/v1/claims/{claim.id}/contact", headers=fresh)
    assert answer.status_code == 403, answer.text
    assert need.beneficiary_phone not in answer.text
    assert len(audit_events(session, "need.contact_shared")) == 1  # the one before the suspension
