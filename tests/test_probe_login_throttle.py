"""A shared address must not let one person lock every colleague out (found by a live probe).

A street office, a grid service station or a community centre's Wi-Fi puts many accounts behind one
address. Ten wrong passwords for made-up user names from there used to make the per-address count
answer 429 to everyone signing in from that address, even to accounts that sign in from it every day,
and ten more every five minutes kept the whole office out. The account's usual device (an address it
signed in from lately) now skips the address-wide count; the count per account and address still holds
it, and an account never seen at that address is still refused, so spraying stays stopped.

Figures (asserted): after 10 failures from one address, the usual-device account signs in (200),
a stranger account with its right password gets 429, and 10 wrong passwords for the usual-device
account itself still throttle it (429 even with the right password).
"""

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts import services
from marketplace.accounts.models import Role
from marketplace.security.throttle import Throttled
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, csrf_for, make_user

LIMIT = 10
OFFICE = "203.0.113.40"


def sign_in(factory: sessionmaker[Session], settings: Settings, username: str, password: str) -> str:
    """'ok', 'wrong' or 'throttled': what the login form and API turn into 303/401/429."""
    try:
        services.authenticate(factory, factory, settings, username, password, client_address=OFFICE, user_agent="tests")
    except services.LoginFailed:
        return "wrong"
    except Throttled:
        return "throttled"
    return "ok"


@pytest.fixture
def office(session: Session) -> None:
    make_user(session, Role.STAFF, username="wanghy")
    make_user(session, Role.STAFF, username="newcomer")


@pytest.mark.usefixtures("office")
def test_ten_wrong_names_from_a_shared_address_do_not_lock_out_its_usual_users(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    assert sign_in(session_factory, settings, "wanghy", DEFAULT_PASSWORD) == "ok"
    guesses = [sign_in(session_factory, settings, f"nobody{n}", "wrong guess") for n in range(LIMIT)]
    assert guesses == ["wrong"] * LIMIT
    assert sign_in(session_factory, settings, "wanghy", DEFAULT_PASSWORD) == "ok"
    # Spraying stays stopped: an account never signed in from here is refused, right password or not.
    assert sign_in(session_factory, settings, "newcomer", DEFAULT_PASSWORD) == "throttled"


@pytest.mark.usefixtures("office")
def test_the_usual_device_still_has_its_own_limit(session_factory: sessionmaker[Session], settings: Settings) -> None:
    assert sign_in(session_factory, settings, "wanghy", DEFAULT_PASSWORD) == "ok"
    guesses = [sign_in(session_factory, settings, "wanghy", "wrong guess") for _ in range(LIMIT)]
    assert guesses == ["wrong"] * LIMIT
    assert sign_in(session_factory, settings, "wanghy", DEFAULT_PASSWORD) == "throttled"


def api_login(client: TestClient[Litestar], settings: Settings, username: str, password: str) -> httpx.Response:
    return client.post(
        "/api/v1/auth/login",
        json={"username": username, "password": password},
        headers={"X-CSRF-Token": csrf_for(client, settings)},
    )


@pytest.mark.usefixtures("office")
def test_through_the_api_the_usual_user_gets_200_and_the_stranger_429(
    client: TestClient[Litestar], settings: Settings
) -> None:
    assert api_login(client, settings, "wanghy", DEFAULT_PASSWORD).status_code == 200
    statuses = [api_login(client, settings, f"nobody{n}", "wrong guess").status_code for n in range(LIMIT)]
    assert statuses == [401] * LIMIT
    assert api_login(client, settings, "wanghy", DEFAULT_PASSWORD).status_code == 200
    assert api_login(client, settings, "newcomer", DEFAULT_PASSWORD).status_code == 429
