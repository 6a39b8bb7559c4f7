"""Eighth probe: wrong retypes of one's own password are counted for the account, not for the address.

Before: the password page's "current password" and the erasure request's password (seventh probe:
``accounts.services.confirm_own_password``) were counted by the sign-in throttle per address too, so ten wrong
retypes by one person at a street office's shared address held back, for five minutes, a colleague signing in
from there. Now the session's account is what is counted (the same limit): the account that retyped wrong is
held back, everyone else at that address is not.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, login, make_user, post_form, sign_in_as

NEW_PASSWORD = "another long passphrase 2026"


def _retype(client: TestClient[Any], settings: Settings, where: str, password: str) -> int:
    if where == "password":
        fields = {"current_password": password, "new_password": NEW_PASSWORD, "confirm_password": NEW_PASSWORD}
        return post_form(client, settings, "/account/password", fields).status_code
    return post_form(client, settings, "/account/privacy/erasure", {"password": password, "confirm": "1"}).status_code


def _wrong_until_held(client: TestClient[Any], settings: Settings, where: str) -> None:
    for attempt in range(settings.login_failure_limit):
        assert _retype(client, settings, where, f"guess {attempt}") == 400
    assert _retype(client, settings, where, "one more guess") == 429


def test_a_colleague_at_the_same_address_signs_in_after_ten_wrong_retypes(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    colleague = make_user(session, Role.STAFF)  # never signed in from this address: not a usual device
    sign_in_as(client, session, Role.STAFF)
    _wrong_until_held(client, settings, "password")
    assert _retype(client, settings, "erasure", DEFAULT_PASSWORD) == 429  # the same count: held there too
    client.cookies.clear()
    signed_in = login(client, colleague.username, DEFAULT_PASSWORD)
    assert signed_in.status_code == 303, signed_in.status_code
    # ...and the colleague's own retype is theirs to count: a wrong one is a 400, the right one goes through.
    assert _retype(client, settings, "password", "not my password") == 400
    assert _retype(client, settings, "password", DEFAULT_PASSWORD) == 303


def test_the_account_that_retyped_wrong_is_held_back(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    user = sign_in_as(client, session, Role.VOLUNTEER)
    for attempt in range(settings.login_failure_limit):
        assert _retype(client, settings, "erasure", f"guess {attempt}") == 400
    assert _retype(client, settings, "erasure", DEFAULT_PASSWORD) == 429
    assert _retype(client, settings, "password", DEFAULT_PASSWORD) == 429
    # A second session of the same account (another device, another address) is held back too: the count is
    # the account's, whatever address it retypes from.
    other = TestClient(app=client.app, base_url="http://testserver.local")
    with other:
        assert login(other, user.username, DEFAULT_PASSWORD).status_code == 303
        held = _retype(other, settings, "password", DEFAULT_PASSWORD)
    assert held == 429, held
