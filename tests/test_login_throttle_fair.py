"""Login throttling without denial of service (README "Sign-in throttling"; OWASP ASVS v4 2.2.1, NIST 800-63B 5.2.2).

Figures (asserted): 10 wrong passwords from address A leave the right password from address B working;
past the account-wide ceiling (30 failures in an hour from any number of addresses) every further
guess waits 1, 2, 4, ... up to 300 s (429 with Retry-After), never a wall; the account's usual device
(an address it signed in from lately) is not slowed.
"""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts import services
from marketplace.accounts.credentials import LoginFailure
from marketplace.accounts.models import Role
from marketplace.security.throttle import ACCOUNT_CEILING_FACTOR, MAX_DELAY, Throttled
from marketplace.settings import Settings
from tests.security_helpers import DEFAULT_PASSWORD, make_user

LIMIT = 10
CEILING = ACCOUNT_CEILING_FACTOR * LIMIT


def sign_in(factory: sessionmaker[Session], settings: Settings, password: str, address: str) -> str:
    """'ok', 'wrong' or 'throttled <seconds>': the outcome the login form and API turn into 200/401/429."""
    try:
        services.authenticate(
            factory, factory, settings, "xiaoli", password, client_address=address, user_agent="tests"
        )
    except services.LoginFailed:
        return "wrong"
    except Throttled as throttled:
        return f"throttled {throttled.retry_after}"
    return "ok"


def move_failures_back(factory: sessionmaker[Session], seconds: int) -> None:
    """As if ``seconds`` had passed since every failure so far."""
    with factory() as db:
        for row_id, failed_at in db.execute(sa.select(LoginFailure.id, LoginFailure.failed_at)).all():
            db.execute(
                sa.update(LoginFailure)
                .where(LoginFailure.id == row_id)  # type: ignore[arg-type]
                .values(failed_at=failed_at - timedelta(seconds=seconds))
            )
        db.commit()


@pytest.fixture
def xiaoli(session: Session) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")


@pytest.mark.usefixtures("xiaoli")
def test_ten_wrong_passwords_from_a_do_not_stop_the_right_one_from_b(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    attacker, owner = "198.51.100.7", "203.0.113.20"
    assert [sign_in(session_factory, settings, "wrong guess", attacker) for _ in range(LIMIT)] == ["wrong"] * LIMIT
    assert sign_in(session_factory, settings, DEFAULT_PASSWORD, attacker).startswith("throttled")
    assert sign_in(session_factory, settings, DEFAULT_PASSWORD, owner) == "ok"


@pytest.mark.usefixtures("xiaoli")
def test_the_account_wide_ceiling_slows_an_attacker_with_many_addresses(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    addresses = (f"192.0.2.{n}" for n in range(1, 250))
    below = [sign_in(session_factory, settings, "wrong guess", next(addresses)) for _ in range(CEILING)]
    assert below == ["wrong"] * CEILING
    waits: list[int] = []
    for _ in range(12):
        outcome = sign_in(session_factory, settings, "wrong guess", next(addresses))
        assert outcome.startswith("throttled"), outcome
        wait = int(outcome.split()[1])
        waits.append(wait)
        # Even the right password waits: the delay is per account, not per guess.
        assert sign_in(session_factory, settings, DEFAULT_PASSWORD, next(addresses)).startswith("throttled")
        move_failures_back(session_factory, wait)
        assert sign_in(session_factory, settings, "wrong guess", next(addresses)) == "wrong"
    # A delay that doubles with every failure, up to MAX_DELAY: a few guesses an hour, never a wall.
    assert waits == [min(2**n, MAX_DELAY) for n in range(12)]
    move_failures_back(session_factory, MAX_DELAY)
    assert sign_in(session_factory, settings, DEFAULT_PASSWORD, next(addresses)) == "ok"


@pytest.mark.usefixtures("xiaoli")
def test_the_usual_device_is_not_slowed_by_the_ceiling(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    home = "203.0.113.9"
    assert sign_in(session_factory, settings, DEFAULT_PASSWORD, home) == "ok"
    for n in range(CEILING):
        assert sign_in(session_factory, settings, "wrong guess", f"192.0.2.{n + 1}") == "wrong"
    assert sign_in(session_factory, settings, DEFAULT_PASSWORD, "192.0.2.200").startswith("throttled")
    assert sign_in(session_factory, settings, DEFAULT_PASSWORD, home) == "ok"
