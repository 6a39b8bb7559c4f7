"""Admin user management: search with masked phones, every action audited once, scope rules, reset links.

Figures (asserted): 7 privileged actions (create, disable, enable, role → partner, role → staff,
end sessions, issue reset link) → exactly 7 audit rows with before/after; 1 reset link → 1 outbox row;
the link works once (2nd use 410, expired 410, unknown 400); non-admins 403, anonymous → /login;
a POST without a CSRF token → 403 and 0 rows changed.
"""

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.credentials import PasswordReset
from marketplace.accounts.models import Role, StaffGrid, User
from marketplace.accounts.passwords import verify_password
from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.notifications.models import Notification
from marketplace.organizations.models import OrganizationStatus
from marketplace.security.sessions import SESSION_COOKIE
from marketplace.settings import Settings
from tests.security_helpers import (
    DEFAULT_PASSWORD,
    audit_actions,
    audit_events,
    csrf_from,
    fetch,
    login,
    make_community,
    make_grid,
    make_org,
    make_user,
    post_form,
    reading,
    sign_in_as,
)


def count_rows(session: Session, model: type) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(sa.select(sa.func.count()).select_from(model)).scalar_one())


def test_only_admins(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    target = make_user(session, Role.VOLUNTEER)
    anonymous = client.get("/admin/users", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=%2Fadmin%2Fusers"
    for role in (Role.STAFF, Role.PARTNER, Role.VOLUNTEER):
        client.cookies.clear()
        sign_in_as(client, session, role)
        forbidden = client.get("/admin/users")
        assert forbidden.status_code == 403 and "无权" in forbidden.text  # the error page, in Chinese
        assert client.get(f"/admin/users/{target.id}").status_code == 403
        assert post_form(client, settings, f"/admin/users/{target.id}/disable").status_code == 403
    assert fetch(session, User, target.id).is_active
    assert not [a for a in audit_actions(session) if a.startswith("user.")]


def test_list_search_and_masked_phones(client: TestClient[Litestar], session: Session) -> None:
    sign_in_as(client, session, Role.ADMIN, username="boss")
    make_user(session, Role.VOLUNTEER, username="xiaoli", display_name="李小红", phone="13800138000")
    make_user(session, Role.STAFF, username="zhou", display_name="周网格员", is_active=False)
    page = client.get("/admin/users")
    assert page.status_code == 200
    assert "138****8000" in page.text and "13800138000" not in page.text
    assert "李小红" in client.get("/admin/users", params={"q": "小红"}).text
    assert "周网格员" not in client.get("/admin/users", params={"q": "小红"}).text
    disabled = client.get("/admin/users", params={"status": "disabled"}).text
    assert "周网格员" in disabled and "李小红" not in disabled
    staff = client.get("/admin/users", params={"role": "staff"}).text
    assert "zhou" in staff and "xiaoli" not in staff
    assert client.get("/admin/users", params={"page": "999"}).status_code == 200


def test_every_action_writes_one_audit_row(
    client: TestClient[Litestar], session: Session, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    admin = sign_in_as(client, session, Role.ADMIN, username="boss")
    org = make_org(session)
    community = make_community(session)
    grid = make_grid(session, community)
    session.commit()
    before = len(audit_actions(session))

    created = post_form(
        client,
        settings,
        "/admin/users/new",
        {
            "username": "newstaff",
            "display_name": "新网格员",
            "role": "staff",
            "password": "a long new secret",
            "community_id": str(community.id),
        },
    )
    assert created.status_code == 303, created.text
    with reading(session) as fresh:
        user = fresh.execute(sa.select(User).where(User.username == "newstaff")).scalar_one()
    uid = user.id
    assert user.role == Role.STAFF and user.community_id == community.id
    assert post_form(client, settings, f"/admin/users/{uid}/disable").status_code == 303
    assert post_form(client, settings, f"/admin/users/{uid}/enable").status_code == 303
    partner = post_form(
        client, settings, f"/admin/users/{uid}/role", {"role": "partner", "organization_id": str(org.id)}
    )
    assert partner.status_code == 303
    to_staff = post_form(client, settings, f"/admin/users/{uid}/role", {"role": "staff", "grid_ids": [str(grid.id)]})
    assert to_staff.status_code == 303
    assert post_form(client, settings, f"/admin/users/{uid}/end-sessions").status_code == 303
    with caplog.at_level(logging.INFO, logger="marketplace.outbox"):
        issued = post_form(client, settings, f"/admin/users/{uid}/reset-link")
        assert issued.status_code == 303  # the link is shown on the page it leads to (test_reload_safe_results)
        assert "/reset/" in client.get(issued.headers["location"]).text

    events = audit_events(session)[before:]
    assert [e.action for e in events] == [
        "user.create",
        "user.disable",
        "user.enable",
        "user.role_change",
        "user.role_change",
        "user.sessions_ended",
        "user.password_reset_issued",
        "user.password_reset_shown",
    ]
    assert all(e.actor_id == admin.id and e.actor_role == "admin" and e.object_id == uid for e in events)
    assert events[1].before["is_active"] is True and events[1].after["is_active"] is False
    assert events[3].before == {"role": "staff", "organization_id": None, "community_id": community.id}
    assert events[3].after == {"role": "partner", "organization_id": org.id, "community_id": None}
    assert events[4].after == {"role": "staff", "organization_id": None, "grid_ids": [grid.id]}
    with reading(session) as fresh:
        assert list(fresh.execute(sa.select(StaffGrid.grid_id).where(StaffGrid.user_id == uid)).scalars()) == [grid.id]
        (note,) = fresh.execute(sa.select(Notification)).scalars().all()
    assert note.user_id == uid and note.kind == "password_reset" and note.payload["link"].startswith("/reset/")
    assert any("[outbox] to newstaff: password_reset" in message for message in caplog.messages)
    # The secret is nowhere in the audit log.
    assert note.payload["link"].split("/")[-1] not in str([(e.before, e.after) for e in audit_events(session)])


def test_role_rules(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    sign_in_as(client, session, Role.ADMIN)
    target = make_user(session, Role.VOLUNTEER)
    pending = make_org(session, OrganizationStatus.PENDING)
    session.commit()
    before = len(audit_actions(session))
    no_org = post_form(client, settings, f"/admin/users/{target.id}/role", {"role": "partner"})
    assert no_org.status_code == 400 and "organization_id-error" in no_org.text
    not_approved = post_form(
        client, settings, f"/admin/users/{target.id}/role", {"role": "partner", "organization_id": str(pending.id)}
    )
    assert not_approved.status_code == 400
    no_scope = post_form(client, settings, f"/admin/users/{target.id}/role", {"role": "staff"})
    assert no_scope.status_code == 400 and "community_id-error" in no_scope.text
    assert post_form(client, settings, f"/admin/users/{target.id}/role", {"role": "wizard"}).status_code == 400
    assert fetch(session, User, target.id).role == Role.VOLUNTEER
    assert len(audit_actions(session)) == before


def test_admin_cannot_disable_or_demote_self(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    admin = sign_in_as(client, session, Role.ADMIN)
    assert post_form(client, settings, f"/admin/users/{admin.id}/disable").status_code == 409
    assert post_form(client, settings, f"/admin/users/{admin.id}/role", {"role": "volunteer"}).status_code == 409
    assert fetch(session, User, admin.id).is_active


def test_create_refuses_partners_weak_passwords_and_taken_names(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN, username="boss")
    community = make_community(session)
    session.commit()
    base = {
        "username": "newbie",
        "display_name": "新人",
        "role": "staff",
        "password": "a long new secret",
        "community_id": str(community.id),
    }
    assert post_form(client, settings, "/admin/users/new", base | {"role": "partner"}).status_code == 400
    weak = post_form(client, settings, "/admin/users/new", base | {"password": "woaini1314"})
    assert weak.status_code == 400 and "password-error" in weak.text
    taken = post_form(client, settings, "/admin/users/new", base | {"username": "boss"})
    assert taken.status_code == 400 and "username-error" in taken.text
    assert post_form(client, settings, "/admin/users/new", base | {"username": "X"}).status_code == 400
    assert count_rows(session, User) == 1


def test_missing_csrf_token_changes_nothing(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    sign_in_as(client, session, Role.ADMIN)
    target = make_user(session, Role.VOLUNTEER)
    audits = count_rows(session, AuditEvent)
    paths = ["disable", "enable", "end-sessions", "reset-link", "role"]
    for path in paths:
        response = client.post(f"/admin/users/{target.id}/{path}", data={"role": "admin"}, follow_redirects=False)
        assert response.status_code == 403
        wrong = client.post(
            f"/admin/users/{target.id}/{path}", data={"role": "admin", "csrf_token": "0" * 64}, follow_redirects=False
        )
        assert wrong.status_code == 403
    assert client.post("/admin/users/new", data={"username": "sneaky", "role": "admin"}).status_code == 403
    for path in ("/account/password", "/account", "/account/sessions/end-others", "/logout"):
        assert client.post(path, data={"display_name": "x"}, follow_redirects=False).status_code == 403
    row = fetch(session, User, target.id)
    assert row.is_active and row.role == Role.VOLUNTEER
    assert count_rows(session, AuditEvent) == audits
    assert count_rows(session, PasswordReset) == 0 and count_rows(session, User) == 2


def _issue(client: TestClient[Litestar], settings: Settings, user_id: int) -> str:
    issued = post_form(client, settings, f"/admin/users/{user_id}/reset-link")
    assert issued.status_code == 303
    page = client.get(issued.headers["location"])
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    start = page.text.index("/reset/")
    return page.text[start : page.text.index("<", start)]


def test_reset_link_works_once(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    user = make_user(session, Role.PARTNER, username="wang")
    with TestClient(app=app, base_url="http://testserver.local") as theirs:
        login(theirs, "wang", DEFAULT_PASSWORD)
        old_cookie = theirs.cookies.get(SESSION_COOKIE)
    path = _issue(client, settings, user.id)
    with TestClient(app=app, base_url="http://testserver.local") as anonymous:
        form = anonymous.get(path)
        assert form.status_code == 200 and "wang" in form.text
        token = csrf_from(form.text)
        weak = anonymous.post(
            path, data={"csrf_token": token, "new_password": "88888888", "confirm_password": "88888888"}
        )
        assert weak.status_code == 400 and "new_password-error" in weak.text
        done = anonymous.post(
            path,
            data={
                "csrf_token": token,
                "new_password": "my fresh passphrase",
                "confirm_password": "my fresh passphrase",
            },
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/login?reset=done"
        assert anonymous.get(path).status_code == 410
        again = anonymous.post(
            path,
            data={"csrf_token": token, "new_password": "another passphrase", "confirm_password": "another passphrase"},
        )
        assert again.status_code == 410
        assert anonymous.get("/reset/not-a-real-token").status_code == 400
    assert verify_password(fetch(session, User, user.id).password_hash, "my fresh passphrase")
    with TestClient(app=app, base_url="http://testserver.local") as theirs:
        theirs.cookies.set(SESSION_COOKIE, old_cookie)
        assert theirs.get("/api/v1/auth/me").status_code == 401  # every session ended
        assert login(theirs, "wang", "my fresh passphrase").status_code == 303
    assert audit_actions(session).count("auth.password_reset") == 1


def test_expired_reset_link(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    sign_in_as(client, session, Role.ADMIN)
    user = make_user(session, Role.VOLUNTEER)
    path = _issue(client, settings, user.id)
    with session.get_bind().begin() as connection:  # type: ignore[union-attr]
        connection.execute(
            sa.update(PasswordReset).values(
                created_at=utcnow() - timedelta(hours=settings.password_reset_hours + 2),
                expires_at=utcnow() - timedelta(hours=1),
            )
        )
    client.cookies.clear()
    assert client.get(path).status_code == 410
