"""Fourth probe: disabling an account ends every credential it had outstanding, for good
(marketplace/security/disabling.py).

Before: disabling ended the sessions, but an API token and a password reset link were only refused while the
account stayed disabled. Enabled again (by an admin's page, an organization's manager or the command line),
the old token answered 200 and a link made before the disabling set the password again.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.cli import main
from marketplace.security.tokens import create_api_token
from marketplace.settings import Settings
from tests.security_helpers import login, make_user, post_form, sign_in_as

EXPIRED = "该密码重置链接已过期"  # "This password reset link has expired."


def _token(session: Session, user: User) -> str:
    assert user.id is not None
    secret, _row = create_api_token(session, user_id=user.id, name="hotline", scopes=["needs:read"], created_by_id=None)
    session.commit()
    return secret


def _answers(app: Litestar, secret: str) -> int:
    with TestClient(app=app, base_url="http://testserver.local") as system:
        return system.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {secret}"}).status_code


def _issue_link(admin: TestClient[Litestar], settings: Settings, user_id: int) -> str:
    issued = post_form(admin, settings, f"/admin/users/{user_id}/reset-link")
    assert issued.status_code == 303
    page = admin.get(issued.headers["location"])
    start = page.text.index("/reset/")
    return page.text[start : page.text.index("<", start)]


def _opens(app: Litestar, path: str) -> tuple[int, str]:
    with TestClient(app=app, base_url="http://testserver.local") as anonymous:
        page = anonymous.get(path)
        return page.status_code, page.text


def _last_disable(session: Session, user_id: int) -> dict[str, Any]:
    session.expire_all()
    event = session.execute(
        sa.select(AuditEvent)
        .where(AuditEvent.action == "user.disable", AuditEvent.object_id == user_id)  # type: ignore[arg-type]
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
    ).scalar()
    assert event is not None
    after = dict(event.after or {})
    session.rollback()  # end the read: SQLite's writer (the next sign-in) must not wait for it
    return after


def test_an_admin_disabling_ends_tokens_and_links_and_enabling_brings_none_back(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    user = make_user(session, Role.STAFF, username="hotline-desk")
    secret = _token(session, user)
    link = _issue_link(client, settings, user.id)
    assert _answers(app, secret) == 200 and _opens(app, link)[0] == 200

    assert post_form(client, settings, f"/admin/users/{user.id}/disable").status_code == 303
    assert "API 令牌已撤销" in client.get(f"/admin/users/{user.id}?done=disabled").text  # "API tokens revoked"
    assert post_form(client, settings, f"/admin/users/{user.id}/enable").status_code == 303

    assert _answers(app, secret) == 401
    status, text = _opens(app, link)
    assert status == 410 and EXPIRED in text
    after = _last_disable(session, user.id)
    assert after["tokens_revoked"] == 1 and after["reset_links_expired"] == 1
    # The account itself is back: its owner signs in with the password they had.
    with TestClient(app=app, base_url="http://testserver.local") as owner:
        assert login(owner, "hotline-desk", "correct horse battery staple").status_code == 303


def test_a_manager_disabling_a_member_ends_the_members_tokens_for_good(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    manager = sign_in_as(client, session, Role.PARTNER, is_org_manager=True)
    member = make_user(session, Role.PARTNER, username="warehouse-script", organization_id=manager.organization_id)
    secret = _token(session, member)
    assert _answers(app, secret) == 200
    assert post_form(client, settings, f"/organization/users/{member.id}/disable").status_code == 303
    assert post_form(client, settings, f"/organization/users/{member.id}/enable").status_code == 303
    assert _answers(app, secret) == 401


def test_the_command_line_disabling_ends_tokens_and_links_too(
    client: TestClient[Litestar],
    app: Litestar,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    user = make_user(session, Role.VOLUNTEER, username="zhou")
    secret = _token(session, user)
    link = _issue_link(client, settings, user.id)
    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    result = CliRunner().invoke(main, ["user", "disable", "zhou"], catch_exceptions=False)
    assert result.exit_code == 0 and "1 token(s) revoked, 1 reset link(s) expired" in result.output
    with session.get_bind().begin() as connection:  # type: ignore[union-attr]
        connection.execute(sa.update(User).where(User.id == user.id).values(is_active=True))  # type: ignore[arg-type]
    assert _answers(app, secret) == 401
    assert _opens(app, link)[0] == 410
