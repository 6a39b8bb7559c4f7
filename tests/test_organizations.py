"""Organization registration (page and rules), the partner's own organization and its users."""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationStatus
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.settings import Settings
from tests.orgs_helpers import form_post, make_places, sign_in, valid_credit_code
from tests.security_helpers import make_user


def registration(grids: list[int], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "青岛红帆物业服务有限公司",
        "name_en": "Qingdao Red Sail Property Services",
        "kind": "enterprise",
        "credit_code": valid_credit_code(),
        "contact_name": "王建国",
        "contact_phone": "138 0013 8000",
        "address": "湖岛路12号",
        "description": "维修、保洁",
        "grid_ids": [str(g) for g in grids],
        "username": "hongfan",
        "display_name": "王建国",
        "phone": "13800138000",
        "password": "red sail keeps the pavilions",
    }
    return values | overrides


def count_rows(session: Session, model: Any) -> int:
    session.expire_all()
    value = int(session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())
    session.rollback()
    return value


def test_registration_creates_pending_organization_and_signed_in_manager(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _street, _communities, grids = make_places(session)
    page = client.get("/register/organization")
    assert page.status_code == 200
    assert "grid_ids" in page.text
    response = form_post(client, settings, "/register/organization", registration([grids[0].id, grids[2].id]))
    assert response.status_code == 303, response.text[:2000]
    assert response.headers["location"].startswith("/organization")
    assert client.cookies.get(SESSION_COOKIE)

    org = session.execute(sa.select(Organization)).scalar_one()
    assert org.status == OrganizationStatus.PENDING
    assert org.contact_phone == "13800138000"
    manager = session.execute(sa.select(User).where(User.username == "hongfan")).scalar_one()
    assert manager.role == Role.PARTNER and manager.is_org_manager and manager.organization_id == org.id
    assert manager.password_hash and "red sail" not in manager.password_hash
    grid_ids = set(session.execute(sa.select(OrganizationGrid.grid_id)).scalars())
    assert grid_ids == {grids[0].id, grids[2].id}
    actions = sorted(session.execute(sa.select(AuditEvent.action)).scalars())
    assert actions == ["organization.register", "user.register"]
    session.rollback()  # release SQLite's lock before the next request

    own = client.get("/organization")
    assert own.status_code == 200, own.text[-3000:]
    assert "青岛红帆物业服务有限公司" in own.text
    assert "banner-pending" in own.text


BAD_CODES = [
    ("91370200MA3C5X9K5", "18"),  # 17 characters
    ("91370200MA3C5X9KI4", "position 17"),  # I is never used
    ("91370200MA3C5X9OK4", "position 16"),
]


@pytest.mark.parametrize(("code", "expected"), BAD_CODES)
def test_bad_credit_code_names_the_reason(
    client: TestClient[Any], session: Session, settings: Settings, code: str, expected: str
) -> None:
    _s, _c, grids = make_places(session)
    client.cookies.set("lang", "en")
    response = form_post(client, settings, "/register/organization", registration([grids[0].id], credit_code=code))
    assert response.status_code == 400
    assert "credit_code-error" in response.text
    assert expected in response.text
    assert count_rows(session, Organization) == 0 and count_rows(session, User) == 0


def test_bad_check_digit_is_reported(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _s, _c, grids = make_places(session)
    client.cookies.set("lang", "en")
    good = valid_credit_code()
    wrong_last = good[:17] + ("1" if good[17] != "1" else "2")
    response = form_post(
        client, settings, "/register/organization", registration([grids[0].id], credit_code=wrong_last)
    )
    assert response.status_code == 400
    assert "check digit at position 18" in response.text


def test_duplicate_credit_code_is_refused_cleanly(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    code = valid_credit_code()
    first = form_post(client, settings, "/register/organization", registration([grids[0].id], credit_code=code))
    assert first.status_code == 303
    client.cookies.clear()
    client.cookies.set("lang", "en")
    second = form_post(
        client, settings, "/register/organization", registration([grids[0].id], credit_code=code, username="other")
    )
    assert second.status_code == 400
    assert "already registered" in second.text
    assert count_rows(session, Organization) == 1 and count_rows(session, User) == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("contact_phone", "12345", "mobile number"),
        ("phone", "abc", "mobile number"),
        ("grid_ids", [], "at least one grid"),
        ("name", "", "required"),
        ("kind", "bank", "valid value"),
        ("password", "short", "at least 8 characters"),
        ("username", "9x", "letter first"),
    ],
)
def test_bad_field_is_named_next_to_it(
    client: TestClient[Any], session: Session, settings: Settings, field: str, value: Any, message: str
) -> None:
    _s, _c, grids = make_places(session)
    client.cookies.set("lang", "en")
    response = form_post(client, settings, "/register/organization", registration([grids[0].id], **{field: value}))
    assert response.status_code == 400
    assert f"{field}-error" in response.text
    assert message in response.text
    assert count_rows(session, Organization) == 0


def test_registration_without_csrf_token_is_refused(client: TestClient[Any], session: Session) -> None:
    _s, _c, grids = make_places(session)
    response = client.post("/register/organization", data=registration([grids[0].id]), follow_redirects=False)
    assert response.status_code == 403
    assert count_rows(session, Organization) == 0


def test_manager_edits_contacts_and_grids_audited(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    _s, _c, grids = make_places(session)
    manager = make_user(session, Role.PARTNER, is_org_manager=True)
    sign_in(client, session, manager, settings)
    data = {
        "contact_name": "李娜",
        "contact_phone": "0532-82861234",
        "address": "新地址",
        "description": "",
        "grid_ids": [str(grids[1].id)],
    }
    response = form_post(client, settings, "/organization", data)
    assert response.status_code == 303, response.text[:1000]
    session.expire_all()
    org = session.get(Organization, manager.organization_id)
    assert org is not None and org.contact_name == "李娜" and org.address == "新地址"
    event = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "organization.update")).scalar_one()
    assert event.before is not None and event.after is not None
    assert event.after["contact_name"] == "李娜" and event.before["contact_name"] == "王经理"
    assert event.after["grid_ids"] == [grids[1].id]


def test_plain_member_cannot_edit(client: TestClient[Any], session: Session, settings: Settings) -> None:
    _s, _c, grids = make_places(session)
    member = make_user(session, Role.PARTNER)
    sign_in(client, session, member, settings)
    data = {"contact_name": "李娜", "contact_phone": "13800138000", "grid_ids": [str(grids[1].id)]}
    assert form_post(client, settings, "/organization", data).status_code == 403


def test_manager_adds_disables_and_hands_over(client: TestClient[Any], session: Session, settings: Settings) -> None:
    make_places(session)
    manager = make_user(session, Role.PARTNER, is_org_manager=True)
    sign_in(client, session, manager, settings)
    response = form_post(
        client,
        settings,
        "/organization/users",
        {"username": "colleague", "display_name": "同事", "phone": "", "password": "a long initial phrase"},
    )
    assert response.status_code == 303, response.text[:1000]
    colleague = session.execute(sa.select(User).where(User.username == "colleague")).scalar_one()
    assert colleague.organization_id == manager.organization_id and not colleague.is_org_manager
    colleague_id, manager_id = colleague.id, manager.id
    session.rollback()  # SQLite: a test session's read must not hold the write lock during the next request

    assert form_post(client, settings, f"/organization/users/{colleague_id}/disable", {}).status_code == 303
    session.expire_all()
    assert session.get(User, colleague_id).is_active is False  # type: ignore[union-attr]
    session.rollback()
    assert form_post(client, settings, f"/organization/users/{colleague_id}/enable", {}).status_code == 303
    assert form_post(client, settings, f"/organization/users/{colleague_id}/manager", {}).status_code == 303
    session.expire_all()
    assert session.get(User, colleague_id).is_org_manager is True  # type: ignore[union-attr]
    assert session.get(User, manager_id).is_org_manager is False  # type: ignore[union-attr]
    actions = list(session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())
    assert actions == ["user.create", "user.disable", "user.enable", "user.role_change", "user.role_change"]


def test_public_api_lists_only_approved_public_fields(client: TestClient[Any], session: Session) -> None:
    from tests.security_helpers import make_org

    approved = make_org(session, OrganizationStatus.APPROVED)
    make_org(session, OrganizationStatus.PENDING)
    session.commit()
    body = client.get("/api/v1/organizations").json()
    assert [item["id"] for item in body["items"]] == [approved.id]
    assert "contact_phone" not in body["items"][0] and "credit_code" not in body["items"][0]
    detail = client.get(f"/api/v1/organizations/{approved.id}").json()
    assert detail["name"] == approved.name and "contact_name" not in detail


def test_concurrent_registrations_of_one_code_leave_one_organization(
    app: Any, session: Session, settings: Settings
) -> None:
    """Two people register the same credit code at the same moment: the database's unique index decides."""
    import threading

    from tests.security_helpers import csrf_for

    _s, _c, grids = make_places(session)
    code = valid_credit_code()
    statuses: list[int] = []
    barrier = threading.Barrier(2)
    with TestClient(app=app) as first, TestClient(app=app) as second:
        forms = [
            registration([grids[0].id], credit_code=code, username=f"racer{index}")
            | {"csrf_token": csrf_for(c, settings)}
            for index, c in enumerate((first, second))
        ]

        def run(client: TestClient[Any], form: dict[str, Any]) -> None:
            barrier.wait()
            statuses.append(client.post("/register/organization", data=form, follow_redirects=False).status_code)

        threads = [threading.Thread(target=run, args=pair) for pair in zip((first, second), forms, strict=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(statuses) == [303, 400]
    assert count_rows(session, Organization) == 1 and count_rows(session, User) == 1
    registrations = session.execute(
        sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == "organization.register")
    ).scalar_one()
    session.rollback()
    assert registrations == 1
