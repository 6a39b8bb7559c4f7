"""A rejected organization corrects its application and sends it again; the street's admins correct one too.

Walks the real pages and API on the test database (SQLite, or PostgreSQL with MARKETPLACE_TEST_DATABASE_URL).
"""

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.notifications.models import Notification
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationStatus
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.orgs_helpers import form_post, make_places, sign_in, valid_credit_code
from tests.security_helpers import make_org, make_user
from tests.test_organizations import registration


def fresh(session: Session, organization_id: int) -> Organization:
    session.expire_all()
    row = session.get(Organization, organization_id)
    assert row is not None
    session.expunge(row)
    session.rollback()
    return row


def events(session: Session, action: str) -> list[AuditEvent]:
    session.expire_all()
    rows = list(
        session.execute(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars()
    )
    for row in rows:
        session.expunge(row)
    session.rollback()
    return rows


def grids_of(session: Session, organization_id: int) -> set[int]:
    ids = set(
        session.execute(
            sa.select(OrganizationGrid.grid_id).where(OrganizationGrid.organization_id == organization_id)
        ).scalars()
    )
    session.rollback()
    return ids


def form_of(row: Organization, grid_ids: list[int], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": row.name,
        "name_en": row.name_en or "",
        "kind": row.kind.value,
        "credit_code": row.credit_code,
        "contact_name": row.contact_name,
        "contact_phone": row.contact_phone,
        "address": row.address,
        "description": row.description,
        "grid_ids": [str(g) for g in grid_ids],
    }
    return values | overrides


def api_body(row: Organization, grid_ids: list[int], **overrides: Any) -> dict[str, Any]:
    body = form_of(row, grid_ids) | {"grid_ids": grid_ids}
    return body | overrides


def bearer(session: Session, user: User, scopes: list[str]) -> dict[str, str]:
    secret, _row = create_api_token(session, user_id=user.id, name="t", scopes=scopes, created_by_id=user.id)  # type: ignore[arg-type]
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def valid_org(session: Session, status: OrganizationStatus) -> Organization:
    """An organization whose credit code passes both check digits (as registration leaves it)."""
    org = make_org(session, status)
    org.credit_code = valid_credit_code(900_000 + (org.id or 0))
    session.add(org)
    session.flush()
    return org


def rejected_org_with_manager(session: Session) -> tuple[int, User, list[int]]:
    """A rejected organization (reason 资料不全) serving one grid of its street, and its manager."""
    org = valid_org(session, OrganizationStatus.REJECTED)
    from tests.security_helpers import make_grid

    grids = [make_grid(session).id, make_grid(session).id]
    session.add(OrganizationGrid(organization_id=org.id, grid_id=grids[0]))  # type: ignore[arg-type]
    manager = make_user(session, Role.PARTNER, organization_id=org.id, is_org_manager=True)
    org_id = org.id
    session.commit()
    return org_id, detached(session, manager), grids  # type: ignore[return-value]


def a_grid(session: Session) -> int:
    grid = make_places(session)[2][0]
    grid_id = grid.id
    session.rollback()
    return grid_id  # type: ignore[return-value]


def detached(session: Session, user: User) -> User:
    """``user`` loaded and detached: reading its id later starts no transaction (SQLite's write lock)."""
    session.refresh(user)
    session.expunge(user)
    session.rollback()
    return user


# --- the walk -------------------------------------------------------------------------------------------


def test_rejected_corrected_resubmitted_approved(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _street, _communities, places = make_places(session)
    grids = [grid.id for grid in places]
    admin = detached(session, make_user(session, Role.ADMIN))
    admin_id = admin.id
    wrong = registration([grids[0]], name="青岛红帆物业服务有限工司")
    assert form_post(client, settings, "/register/organization", wrong).status_code == 303
    org_id = session.execute(sa.select(Organization.id)).scalar_one()
    session.rollback()
    client.cookies.set("lang", "en")
    partner_cookie = client.cookies.get(SESSION_COOKIE)

    def as_admin() -> None:
        client.cookies.clear()
        client.cookies.set("lang", "en")
        sign_in(client, session, admin, settings)

    def as_partner() -> None:
        client.cookies.clear()
        client.cookies.set("lang", "en")
        client.cookies.set(SESSION_COOKIE, partner_cookie)

    as_admin()
    rejected = form_post(
        client, settings, f"/admin/organizations/{org_id}/reject", {"reason": "名称有错别字，且少选了网格"}
    )
    assert rejected.status_code == 303

    # The manager sees the status, the reason and the way to correct it.
    as_partner()
    own = client.get("/organization")
    assert own.status_code == 200
    assert "名称有错别字" in own.text and 'href="/organization/application"' in own.text
    form = client.get("/organization/application")
    assert form.status_code == 200 and "青岛红帆物业服务有限工司" in form.text and 'name="revision"' in form.text

    # A wrong credit code: refused beside its field, everything typed kept, nothing written.
    row = fresh(session, org_id)
    typed = form_of(row, [grids[0], grids[1]], name="青岛红帆物业服务有限公司")
    bad = form_post(client, settings, "/organization/application", typed | {"credit_code": "91370200MA3C5X9KI4"})
    assert bad.status_code == 400
    assert "credit_code-error" in bad.text and "position 17" in bad.text
    assert "青岛红帆物业服务有限公司" in bad.text and "91370200MA3C5X9KI4" in bad.text
    assert fresh(session, org_id).status == OrganizationStatus.REJECTED

    sent = form_post(client, settings, "/organization/application", typed)
    assert sent.status_code == 303 and sent.headers["location"] == "/organization?done=resubmitted"
    after = fresh(session, org_id)
    assert after.status == OrganizationStatus.PENDING and after.status_reason is None
    assert after.name == "青岛红帆物业服务有限公司"
    assert grids_of(session, org_id) == {grids[0], grids[1]}
    (event,) = events(session, "organization.resubmit")
    assert event.before == {"name": "青岛红帆物业服务有限工司", "grid_ids": [grids[0]], "status": "rejected"}
    assert event.after == {
        "name": "青岛红帆物业服务有限公司",
        "grid_ids": [grids[0], grids[1]],
        "status": "pending",
    }
    notified = set(
        session.execute(sa.select(Notification.user_id).where(Notification.kind == "organization.resubmit")).scalars()
    )
    session.rollback()
    assert admin_id in notified
    # Sent again while pending: refused, naming the status.
    assert form_post(client, settings, "/organization/application", typed).status_code == 409

    # The admin's pending list shows it as a resubmission, and the detail what changed.
    as_admin()
    listing = client.get("/admin/organizations?status=pending")
    assert "Resubmitted" in listing.text and "Organization name" in listing.text
    detail = client.get(f"/admin/organizations/{org_id}")
    assert "青岛红帆物业服务有限工司" in detail.text and "Corrected and sent again" in detail.text
    assert form_post(client, settings, f"/admin/organizations/{org_id}/approve", {}).status_code == 303
    assert fresh(session, org_id).status == OrganizationStatus.APPROVED
    as_partner()
    assert "banner-approved" in client.get("/organization").text


def test_the_pages_read_in_chinese(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _org_id, manager, _grids = rejected_org_with_manager(session)
    sign_in(client, session, manager, settings)
    client.cookies.set("lang", "zh_CN")
    page = client.get("/organization/application")
    assert page.status_code == 200 and "重新提交" in page.text


# --- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status", [OrganizationStatus.PENDING, OrganizationStatus.APPROVED, OrganizationStatus.SUSPENDED]
)
def test_only_a_rejected_application_is_sent_again(
    client: TestClient[Any], session: Session, settings: Settings, status: OrganizationStatus
) -> None:
    org = valid_org(session, status)
    manager = make_user(session, Role.PARTNER, organization_id=org.id, is_org_manager=True)
    org_id = org.id
    session.commit()
    row = fresh(session, org_id)
    sign_in(client, session, manager, settings)
    grid = a_grid(session)
    page = form_post(client, settings, "/organization/application", form_of(row, [grid]))
    assert page.status_code == 409
    client.cookies.clear()
    token = bearer(session, manager, ["profile:write"])
    api = client.post(f"/api/v1/organizations/{org_id}/resubmit", json=api_body(row, [grid]), headers=token)
    assert api.status_code == 409 and api.json()["detail"].startswith("status:")
    assert fresh(session, org_id).status == status
    assert events(session, "organization.resubmit") == []


def test_another_organizations_user_cannot_resubmit(client: TestClient[Any], session: Session) -> None:
    org_id, _manager, grids = rejected_org_with_manager(session)
    other = make_user(session, Role.PARTNER, is_org_manager=True)
    session.commit()
    row = fresh(session, org_id)
    token = bearer(session, other, ["profile:write"])
    api = client.post(f"/api/v1/organizations/{org_id}/resubmit", json=api_body(row, grids[:1]), headers=token)
    assert api.status_code == 404
    assert fresh(session, org_id).status == OrganizationStatus.REJECTED


def test_a_colleague_who_is_not_the_manager_cannot_resubmit(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    org_id, _manager, grids = rejected_org_with_manager(session)
    colleague = make_user(session, Role.PARTNER, organization_id=org_id)
    row = fresh(session, org_id)
    sign_in(client, session, colleague, settings)
    assert form_post(client, settings, "/organization/application", form_of(row, grids[:1])).status_code == 403
    assert fresh(session, org_id).status == OrganizationStatus.REJECTED


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"credit_code": "91370200MA3C5X9K5"}, "credit_code"),
        ({"grid_ids": []}, "grid_ids"),
        ({"name": ""}, "name"),
        ({"kind": "bank"}, "kind"),
        ({"contact_phone": "12345"}, "contact_phone"),
    ],
)
def test_bad_input_is_400_naming_the_field(
    client: TestClient[Any], session: Session, override: dict[str, Any], field: str
) -> None:
    org_id, manager, grids = rejected_org_with_manager(session)
    row = fresh(session, org_id)
    token = bearer(session, manager, ["profile:write"])
    api = client.post(
        f"/api/v1/organizations/{org_id}/resubmit", json=api_body(row, grids[:1]) | override, headers=token
    )
    assert api.status_code == 400 and api.json()["detail"].startswith(f"{field}:"), api.text
    assert fresh(session, org_id).status == OrganizationStatus.REJECTED


def test_a_credit_code_another_organization_holds_is_refused(client: TestClient[Any], session: Session) -> None:
    org_id, manager, grids = rejected_org_with_manager(session)
    taken = valid_org(session, OrganizationStatus.APPROVED).credit_code
    session.commit()
    row = fresh(session, org_id)
    token = bearer(session, manager, ["profile:write"])
    body = api_body(row, grids[:1], credit_code=taken)
    api = client.post(f"/api/v1/organizations/{org_id}/resubmit", json=body, headers=token)
    assert api.status_code == 400 and api.json()["detail"].startswith("credit_code:")
    assert fresh(session, org_id).status == OrganizationStatus.REJECTED


def test_a_token_without_the_scope_is_refused(client: TestClient[Any], session: Session) -> None:
    org_id, manager, grids = rejected_org_with_manager(session)
    row = fresh(session, org_id)
    token = bearer(session, manager, ["offers:read"])
    api = client.post(f"/api/v1/organizations/{org_id}/resubmit", json=api_body(row, grids[:1]), headers=token)
    assert api.status_code == 403


def test_resubmit_through_the_api(client: TestClient[Any], session: Session) -> None:
    org_id, manager, grids = rejected_org_with_manager(session)
    row = fresh(session, org_id)
    token = bearer(session, manager, ["profile:write"])
    code = valid_credit_code()
    body = api_body(row, grids, credit_code=code)
    api = client.post(f"/api/v1/organizations/{org_id}/resubmit", json=body, headers=token)
    assert api.status_code == 200, api.text
    assert api.json()["status"] == "pending" and api.json()["credit_code"] == code
    (event,) = events(session, "organization.resubmit")
    assert event.after is not None and event.after["credit_code"] == code


# --- the admins' correction ----------------------------------------------------------------------------


def test_admin_corrects_a_pending_application(client: TestClient[Any], session: Session, settings: Settings) -> None:
    org = valid_org(session, OrganizationStatus.PENDING)
    from tests.security_helpers import make_grid

    grid = make_grid(session).id
    session.add(OrganizationGrid(organization_id=org.id, grid_id=grid))  # type: ignore[arg-type]
    admin = make_user(session, Role.ADMIN)
    org_id = org.id
    session.commit()
    row = fresh(session, org_id)
    sign_in(client, session, admin, settings)
    client.cookies.set("lang", "en")
    page = client.get(f"/admin/organizations/{org_id}/application")
    assert page.status_code == 200
    revision = page.text.split('name="revision" value="')[1].split('"')[0]
    bad = form_post(
        client,
        settings,
        f"/admin/organizations/{org_id}/application",
        form_of(row, [grid], name="改好的名称", credit_code="91370200MA3C5X9K5") | {"revision": revision},
    )
    assert bad.status_code == 400 and "credit_code-error" in bad.text and "改好的名称" in bad.text
    saved = form_post(
        client,
        settings,
        f"/admin/organizations/{org_id}/application",
        form_of(row, [grid], name="改好的名称") | {"revision": revision},
    )
    assert saved.status_code == 303
    after = fresh(session, org_id)
    assert after.name == "改好的名称" and after.status == OrganizationStatus.PENDING
    (event,) = events(session, "organization.edit")
    assert event.before == {"name": row.name} and event.after == {"name": "改好的名称"}
    # The same form sent again on the old revision: changed since, 409.
    stale = form_post(
        client,
        settings,
        f"/admin/organizations/{org_id}/application",
        form_of(row, [grid], name="又一个名称") | {"revision": revision},
    )
    assert stale.status_code == 409
    assert fresh(session, org_id).name == "改好的名称"


def test_admin_cannot_correct_an_approved_organization(client: TestClient[Any], session: Session) -> None:
    org = valid_org(session, OrganizationStatus.APPROVED)
    admin = make_user(session, Role.ADMIN)
    org_id = org.id
    session.commit()
    row = fresh(session, org_id)
    grid = a_grid(session)
    token = bearer(session, admin, ["admin"])
    api = client.put(f"/api/v1/organizations/{org_id}/application", json=api_body(row, [grid]), headers=token)
    assert api.status_code == 409 and api.json()["detail"].startswith("status:")
    assert events(session, "organization.edit") == []


def test_admin_corrects_through_the_api_and_a_partner_cannot(client: TestClient[Any], session: Session) -> None:
    org_id, manager, grids = rejected_org_with_manager(session)
    admin = make_user(session, Role.ADMIN)
    session.commit()
    row = fresh(session, org_id)
    admin_token = bearer(session, admin, ["admin"])
    revision = client.get(f"/api/v1/organizations/{org_id}", headers=admin_token).json()["revision"]
    body = api_body(row, grids, contact_name="李四", revision=revision)
    api = client.put(f"/api/v1/organizations/{org_id}/application", json=body, headers=admin_token)
    assert api.status_code == 200, api.text
    assert api.json()["contact_name"] == "李四" and api.json()["status"] == "rejected"
    partner_token = bearer(session, manager, ["profile:write", "admin"])
    refused = client.put(f"/api/v1/organizations/{org_id}/application", json=body, headers=partner_token)
    assert refused.status_code == 403


def test_the_api_is_documented(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json").json()
    operations = {op["operationId"] for path in schema["paths"].values() for op in path.values() if "operationId" in op}
    assert {"resubmitOrganization", "editOrganizationApplication"} <= operations


# --- the race -------------------------------------------------------------------------------------------


def test_a_resubmission_and_an_admin_correction_at_once_never_overwrite(
    app: Litestar, session: Session, settings: Settings
) -> None:
    """The manager resends while an admin corrects the same rejected application, both on the revision they
    read, through real concurrent requests: one lands, the other is 409, nothing is silently overwritten."""
    org_id, manager, grids = rejected_org_with_manager(session)
    admin = make_user(session, Role.ADMIN)
    session.commit()
    row = fresh(session, org_id)
    partner_token = bearer(session, manager, ["profile:write"])
    admin_token = bearer(session, admin, ["admin"])
    results: dict[str, int] = {}
    barrier = threading.Barrier(2)
    with TestClient(app=app) as first, TestClient(app=app) as second:
        revision = first.get(f"/api/v1/organizations/{org_id}", headers=admin_token).json()["revision"]

        def resend() -> None:
            barrier.wait()
            body = api_body(row, grids, contact_name="张三", revision=revision)
            response = first.post(f"/api/v1/organizations/{org_id}/resubmit", json=body, headers=partner_token)
            results["resubmit"] = response.status_code

        def correct() -> None:
            barrier.wait()
            body = api_body(row, grids[:1], contact_name="李四", revision=revision)
            response = second.put(f"/api/v1/organizations/{org_id}/application", json=body, headers=admin_token)
            results["edit"] = response.status_code

        threads = [threading.Thread(target=resend), threading.Thread(target=correct)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(results.values()) == [200, 409], results
    after = fresh(session, org_id)
    if results["resubmit"] == 200:
        assert after.contact_name == "张三" and after.status == OrganizationStatus.PENDING
        assert len(events(session, "organization.resubmit")) == 1 and events(session, "organization.edit") == []
    else:
        assert after.contact_name == "李四" and after.status == OrganizationStatus.REJECTED
        assert len(events(session, "organization.edit")) == 1 and events(session, "organization.resubmit") == []


def test_two_simultaneous_resubmissions_land_once(app: Litestar, session: Session, settings: Settings) -> None:
    """The same rejected application sent twice at the same moment (two tabs): the conditional UPDATE matches
    once; the other is 409."""
    org_id, manager, grids = rejected_org_with_manager(session)
    row = fresh(session, org_id)
    token = bearer(session, manager, ["profile:write"])
    codes: list[int] = []
    barrier = threading.Barrier(2)
    with TestClient(app=app) as first, TestClient(app=app) as second:

        def run(client: TestClient[Any], name: str) -> None:
            barrier.wait()
            body = api_body(row, grids, contact_name=name)
            codes.append(client.post(f"/api/v1/organizations/{org_id}/resubmit", json=body, headers=token).status_code)

        threads = [
            threading.Thread(target=run, args=(first, "张三")),
            threading.Thread(target=run, args=(second, "李四")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(codes) == [200, 409], codes
    assert len(events(session, "organization.resubmit")) == 1
    assert fresh(session, org_id).status == OrganizationStatus.PENDING


def test_an_approval_between_reading_and_writing_is_not_overwritten(session_factory: Any, session: Session) -> None:
    """Separate sessions: the manager's transaction read the rejected row, an admin's approval commits, the
    resubmission's conditional UPDATE then matches nothing (409) and the approval stands."""
    from marketplace.organizations import application
    from marketplace.organizations.schemas import OrganizationCreate
    from marketplace.security.identity import load_current_user

    org_id, manager, grids = rejected_org_with_manager(session)
    row = fresh(session, org_id)
    data = OrganizationCreate.model_validate(api_body(row, grids) | {"street_id": row.street_id})
    with session_factory() as partner_db:
        actor = load_current_user(partner_db, manager.id)  # type: ignore[arg-type]
        assert actor is not None
        read = application._managed_organization(partner_db, actor, org_id)
        assert read.status == OrganizationStatus.REJECTED
        application.current_values(partner_db, read)
        partner_db.expunge(read)  # what the manager's request read, kept as read
        partner_db.commit()  # end the read transaction: SQLite's writer lock is free for the admin
        with session_factory() as admin_db:
            admin_db.execute(
                sa.update(Organization)
                .where(Organization.id == org_id)
                .values(status=OrganizationStatus.PENDING, status_reason=None)
            )
            admin_db.execute(
                sa.update(Organization).where(Organization.id == org_id).values(status=OrganizationStatus.APPROVED)
            )
            admin_db.commit()
        with pytest.raises(application.StatusConflict) as refused:
            application._write(
                partner_db,
                read,
                data,
                allowed=application.RESUBMITTABLE,
                new_values={"status": OrganizationStatus.PENDING, "status_reason": None},
                based_on=None,
            )
        assert refused.value.status == OrganizationStatus.APPROVED
    assert fresh(session, org_id).status == OrganizationStatus.APPROVED
