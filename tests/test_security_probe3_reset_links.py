"""Third probe: a password reset link lives only while the password it was made to replace does
(marketplace/security/reset_links.py).

Before: a second link left the first working; after one link was used any other still set the password again
(ending the owner's sessions); a link made before the owner changed their own password, or before the account
was disabled, still opened.
"""

from datetime import timedelta

import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.credentials import PasswordReset
from marketplace.accounts.models import Role, User
from marketplace.accounts.passwords import verify_password
from marketplace.db.types import utcnow
from marketplace.security.secrets import digest, new_secret
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, csrf_from, fetch, login, make_user, post_form, sign_in_as

EXPIRED = "该密码重置链接已过期"  # the page in the default language: "This password reset link has expired."


def _issue(admin: TestClient[Litestar], settings: Settings, user_id: int) -> str:
    issued = post_form(admin, settings, f"/admin/users/{user_id}/reset-link")
    assert issued.status_code == 303
    page = admin.get(issued.headers["location"])
    start = page.text.index("/reset/")
    return page.text[start : page.text.index("<", start)]


def _use(app: Litestar, path: str, password: str) -> int:
    with TestClient(app=app, base_url="http://testserver.local") as anonymous:
        form = anonymous.get(path)
        if form.status_code != 200:
            return form.status_code
        data = {"csrf_token": csrf_from(form.text), "new_password": password, "confirm_password": password}
        return anonymous.post(path, data=data, follow_redirects=False).status_code


def _opens(app: Litestar, path: str) -> tuple[int, str]:
    with TestClient(app=app, base_url="http://testserver.local") as anonymous:
        page = anonymous.get(path)
        return page.status_code, page.text


def test_a_new_link_retires_the_one_made_before(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    user = make_user(session, Role.VOLUNTEER, username="liu")
    first = _issue(client, settings, user.id)
    second = _issue(client, settings, user.id)
    status, text = _opens(app, first)
    assert status == 410 and EXPIRED in text
    assert _use(app, first, "a passphrase of the finder") == 410
    assert _use(app, second, "the owner's new passphrase") == 303
    assert verify_password(fetch(session, User, user.id).password_hash, "the owner's new passphrase")


def test_once_a_link_is_used_no_other_link_of_the_account_sets_the_password_again(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    admin_id = session.execute(sa.select(User.id).where(User.role == Role.ADMIN)).scalar_one()
    user = make_user(session, Role.PARTNER, username="wang")
    # A link from before (say, made by another admin, or before this rule): still live when the other is used.
    older = new_secret()
    with session.get_bind().begin() as connection:  # type: ignore[union-attr]
        connection.execute(
            sa.insert(PasswordReset).values(
                user_id=user.id,
                token_hash=digest(older),
                created_by_id=admin_id,
                created_at=utcnow() - timedelta(minutes=5),
                expires_at=utcnow() + timedelta(hours=20),
            )
        )
    newer = _issue(client, settings, user.id)  # retires the older one already; make it live again to be sure
    with session.get_bind().begin() as connection:  # type: ignore[union-attr]
        connection.execute(
            sa.update(PasswordReset)
            .where(PasswordReset.token_hash == digest(older))
            .values(expires_at=utcnow() + timedelta(hours=20))
        )
    assert _opens(app, f"/reset/{older}")[0] == 200
    assert _use(app, newer, "the owner's new passphrase") == 303
    assert _use(app, f"/reset/{older}", "a passphrase of the finder") == 410
    assert verify_password(fetch(session, User, user.id).password_hash, "the owner's new passphrase")


def test_a_link_made_before_the_owner_changed_their_password_no_longer_opens(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    user = make_user(session, Role.VOLUNTEER, username="zhao")
    link = _issue(client, settings, user.id)
    with TestClient(app=app, base_url="http://testserver.local") as owner:
        assert login(owner, "zhao", DEFAULT_PASSWORD).status_code == 303
        changed = post_form(
            owner,
            settings,
            "/account/password",
            {
                "current_password": DEFAULT_PASSWORD,
                "new_password": "remembered it after all",
                "confirm_password": "remembered it after all",
            },
        )
        assert changed.status_code in (200, 303)
    assert _use(app, link, "a passphrase of the finder") == 410
    assert verify_password(fetch(session, User, user.id).password_hash, "remembered it after all")


def test_a_disabled_accounts_links_are_dead_whoever_disabled_it(
    client: TestClient[Litestar], app: Litestar, session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.ADMIN)
    by_admin = make_user(session, Role.VOLUNTEER, username="sun")
    by_command = make_user(session, Role.VOLUNTEER, username="qian")
    first, second = _issue(client, settings, by_admin.id), _issue(client, settings, by_command.id)
    assert post_form(client, settings, f"/admin/users/{by_admin.id}/disable").status_code in (200, 303)
    # The command line (marketplace user disable) and an erasure write is_active themselves.
    with session.get_bind().begin() as connection:  # type: ignore[union-attr]
        connection.execute(sa.update(User).where(User.id == by_command.id).values(is_active=False))
    for link in (first, second):
        status, text = _opens(app, link)
        assert status == 410 and EXPIRED in text
        assert _use(app, link, "a passphrase of the finder") == 410
