"""Admins vet organizations: transitions, reasons, stale decisions, concurrent decisions, notifications."""

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.notifications.models import Notification
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.organizations.services import require_approved_organization
from marketplace.security.identity import load_current_user
from marketplace.settings import Settings
from tests.orgs_helpers import form_post, sign_in
from tests.security_helpers import make_org, make_user


def status_of(session: Session, organization_id: int) -> OrganizationStatus:
    session.expire_all()
    row = session.get(Organization, organization_id)
    assert row is not None
    status = row.status
    session.rollback()
    return status


def audit_actions(session: Session) -> list[str]:
    actions = list(session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
    session.rollback()
    return actions


@pytest.fixture
def admin_client(client: TestClient[Any], session: Session, settings: Settings) -> TestClient[Any]:
    admin = make_user(session, Role.ADMIN)
    sign_in(client, session, admin, settings)
    return client


def test_approve_from_page_notifies_users_and_audits(
    admin_client: TestClient[Any], session: Session, settings: Settings
) -> None:
    org = make_org(session, OrganizationStatus.PENDING)
    manager = make_user(session, Role.PARTNER, organization_id=org.id, is_org_manager=True)
    colleague = make_user(session, Role.PARTNER, organization_id=org.id)
    org_id, user_ids = org.id, {manager.id, colleague.id}
    session.rollback()
    listing = admin_client.get("/admin/organizations?status=pending")
    assert listing.status_code == 200 and org.name in listing.text
    assert admin_client.get(f"/admin/organizations/{org_id}").status_code == 200
    response = form_post(admin_client, settings, f"/admin/organizations/{org_id}/approve", {})
    assert response.status_code == 303
    assert status_of(session, org_id) == OrganizationStatus.APPROVED
    event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "organization.approve")).scalar_one()
    assert event.before == {"status": "pending", "status_reason": None, "approved_at": None}
    assert event.after is not None and event.after["status"] == "approved"
    notified = set(
        session.execute(sa.select(Notification.user_id).where(Notification.kind == "organization.approve")).scalars()
    )
    assert notified == user_ids
    session.rollback()


def test_reject_without_reason_is_400_naming_reason(
    admin_client: TestClient[Any], session: Session, settings: Settings
) -> None:
    org = make_org(session, OrganizationStatus.PENDING)
    org_id = org.id
    session.commit()
    admin_client.cookies.set("lang", "en")
    page = form_post(admin_client, settings, f"/admin/organizations/{org_id}/reject", {"reason": "   "})
    assert page.status_code == 400 and "reason" in page.text.lower()
    api = admin_client.post(
        f"/api/v1/organizations/{org_id}/decision",
        json={"decision": "reject"},
        headers={"X-CSRF-Token": form_csrf(admin_client, settings)},
    )
    assert api.status_code == 400
    assert "reason" in api.text
    assert status_of(session, org_id) == OrganizationStatus.PENDING
    assert audit_actions(session) == []


def form_csrf(client: TestClient[Any], settings: Settings) -> str:
    from tests.security_helpers import csrf_for

    return csrf_for(client, settings)


def decide_api(
    client: TestClient[Any], settings: Settings, org_id: int, decision: str, reason: str | None = None
) -> Any:
    return client.post(
        f"/api/v1/organizations/{org_id}/decision",
        json={"decision": decision, "reason": reason},
        headers={"X-CSRF-Token": form_csrf(client, settings)},
    )


def test_transitions_and_stale_decision_is_409(
    admin_client: TestClient[Any], session: Session, settings: Settings
) -> None:
    org = make_org(session, OrganizationStatus.PENDING)
    org_id = org.id
    session.commit()
    assert decide_api(admin_client, settings, org_id, "approve").status_code == 200
    stale = decide_api(admin_client, settings, org_id, "reject", "资料不全")
    assert stale.status_code == 409 and stale.json()["detail"]
    suspended = decide_api(admin_client, settings, org_id, "suspend", "投诉核查中")
    assert suspended.status_code == 200 and suspended.json()["status_reason"] == "投诉核查中"
    assert decide_api(admin_client, settings, org_id, "suspend", "again").status_code == 409
    reinstated = decide_api(admin_client, settings, org_id, "reinstate")
    assert reinstated.status_code == 200 and reinstated.json()["status"] == "approved"
    assert reinstated.json()["status_reason"] is None
    assert audit_actions(session) == ["organization.approve", "organization.suspend", "organization.reinstate"]


def test_partner_and_staff_cannot_decide(client: TestClient[Any], session: Session, settings: Settings) -> None:
    org = make_org(session, OrganizationStatus.PENDING)
    org_id = org.id
    for role in (Role.PARTNER, Role.STAFF, Role.VOLUNTEER):
        client.cookies.clear()
        user = make_user(session, role, organization_id=org_id if role == Role.PARTNER else None, is_org_manager=True)
        sign_in(client, session, user, settings)
        assert decide_api(client, settings, org_id, "approve").status_code == 403
        assert form_post(client, settings, f"/admin/organizations/{org_id}/approve", {}).status_code == 403
    assert status_of(session, org_id) == OrganizationStatus.PENDING


def test_concurrent_approve_and_reject_one_wins(app: Litestar, session: Session, settings: Settings) -> None:
    """Two admins decide at the same moment through real concurrent requests: exactly one decision lands."""
    org = make_org(session, OrganizationStatus.PENDING)
    org_id = org.id
    admins = [make_user(session, Role.ADMIN), make_user(session, Role.ADMIN)]
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)
    with TestClient(app=app) as first, TestClient(app=app) as second:
        clients = [first, second]
        for client, admin in zip(clients, admins, strict=True):
            sign_in(client, session, admin, settings)
        tokens = [form_csrf(client, settings) for client in clients]
        session.rollback()

        def run(index: int, decision: str, reason: str | None) -> None:
            barrier.wait()
            response = clients[index].post(
                f"/api/v1/organizations/{org_id}/decision",
                json={"decision": decision, "reason": reason},
                headers={"X-CSRF-Token": tokens[index]},
            )
            results[decision] = response.status_code

        threads = [
            threading.Thread(target=run, args=(0, "approve", None)),
            threading.Thread(target=run, args=(1, "reject", "重复注册")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(results.values()) == [200, 409], results
    decisions = [a for a in audit_actions(session) if a in ("organization.approve", "organization.reject")]
    assert len(decisions) == 1
    winner = "approve" if results["approve"] == 200 else "reject"
    expected = OrganizationStatus.APPROVED if winner == "approve" else OrganizationStatus.REJECTED
    assert status_of(session, org_id) == expected


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        (OrganizationStatus.APPROVED, True),
        (OrganizationStatus.PENDING, False),
        (OrganizationStatus.REJECTED, False),
        (OrganizationStatus.SUSPENDED, False),
    ],
)
def test_require_approved_organization(session: Session, status: OrganizationStatus, allowed: bool) -> None:
    from litestar.exceptions import PermissionDeniedException

    org = make_org(session, status)
    user = make_user(session, Role.PARTNER, organization_id=org.id)
    actor = load_current_user(session, user.id)  # type: ignore[arg-type]
    if allowed:
        assert require_approved_organization(session, actor).id == org.id
    else:
        with pytest.raises(PermissionDeniedException):
            require_approved_organization(session, actor)


def test_require_approved_organization_refuses_other_roles(session: Session) -> None:
    from litestar.exceptions import PermissionDeniedException

    for role in (Role.ADMIN, Role.STAFF, Role.VOLUNTEER):
        actor = load_current_user(session, make_user(session, role).id)  # type: ignore[arg-type]
        with pytest.raises(PermissionDeniedException):
            require_approved_organization(session, actor)
    with pytest.raises(PermissionDeniedException):
        require_approved_organization(session, None)


def test_admin_list_search_and_counts(admin_client: TestClient[Any], session: Session) -> None:
    make_org(session, OrganizationStatus.PENDING, name="海岸物业")
    make_org(session, OrganizationStatus.APPROVED, name="湖岛超市")
    session.commit()
    page = admin_client.get("/admin/organizations?q=海岸")
    assert page.status_code == 200 and "海岸物业" in page.text and "湖岛超市" not in page.text
    api = admin_client.get("/api/v1/organizations?status=pending").json()
    assert [item["name"] for item in api["items"]] == ["海岸物业"]
    assert "contact_phone" in api["items"][0]
