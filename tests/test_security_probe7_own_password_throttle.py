"""Seventh probe: retyping one's own password is counted like a sign-in.

Before: a signed-in session could guess its account's password without limit. The password page
(``/account/password``, "current password") and the erasure request (``/account/privacy/erasure``, whose
password is there to prove "it is them and not whoever holds the phone") verified it with no count: forty
wrong guesses in a row on a live two-worker server all answered 400, never 429, so whoever held an open
session (a borrowed phone, a stolen cookie) could find the password and then change it, locking the owner
out. Now both go through ``accounts.services.confirm_own_password``: the sign-in throttle's count in the
database (shared by every worker), 429 with Retry-After at the limit, a right password not counted.
"""

import sqlalchemy as sa
from httpx import Response
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, post_form, sign_in_as

NEW_PASSWORD = "another long passphrase 2026"


def _change(client: TestClient[Litestar], settings: Settings, current: str, confirm: str = NEW_PASSWORD) -> Response:
    fields = {"current_password": current, "new_password": NEW_PASSWORD, "confirm_password": confirm}
    return post_form(client, settings, "/account/password", fields)


def _hash_of(session: Session, user_id: int) -> str | None:
    session.expire_all()
    stored = session.execute(sa.select(User.password_hash).where(User.id == user_id)).scalar_one()
    session.rollback()
    return stored  # type: ignore[no-any-return]


def test_guessing_the_current_password_is_refused_after_the_sign_in_limit(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    user = sign_in_as(client, session, Role.VOLUNTEER)
    before = _hash_of(session, user.id)
    for attempt in range(settings.login_failure_limit):
        assert _change(client, settings, f"guess {attempt}").status_code == 400
    held = _change(client, settings, DEFAULT_PASSWORD)
    assert held.status_code == 429, held.status_code
    assert int(held.headers["retry-after"]) > 0
    assert "密码输错的次数过多" in held.text
    assert _hash_of(session, user.id) == before


def test_guessing_the_password_of_an_erasure_request_is_refused_after_the_limit(
    client: TestClient[Litestar], session: Session, settings: Settings
) -> None:
    sign_in_as(client, session, Role.VOLUNTEER)
    for attempt in range(settings.login_failure_limit):
        wrong = post_form(
            client, settings, "/account/privacy/erasure", {"password": f"guess {attempt}", "confirm": "1"}
        )
        assert wrong.status_code == 400, wrong.status_code
    held = post_form(client, settings, "/account/privacy/erasure", {"password": DEFAULT_PASSWORD, "confirm": "1"})
    assert held.status_code == 429, held.status_code
    session.expire_all()
    asked = session.execute(sa.select(AuditEvent).where(AuditEvent.action == "privacy.erasure_requested")).first()
    session.rollback()
    assert asked is None


def test_the_right_password_is_not_counted(client: TestClient[Litestar], session: Session, settings: Settings) -> None:
    sign_in_as(client, session, Role.VOLUNTEER)
    for _ in range(settings.login_failure_limit + 2):
        # The current password is right; the new one's confirmation differs: refused for that, never 429.
        answer = _change(client, settings, DEFAULT_PASSWORD, confirm="something else entirely")
        assert answer.status_code == 400, answer.status_code
    assert _change(client, settings, DEFAULT_PASSWORD).status_code == 303
