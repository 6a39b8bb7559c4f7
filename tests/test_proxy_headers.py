"""Whose X-Forwarded-For is believed, against a real ``marketplace serve`` process on 127.0.0.1.

The project's MARKETPLACE_TRUSTED_PROXIES alone decides: with it empty, a forged header changes
nothing (the lockout of 127.0.0.1 holds and the audit log records 127.0.0.1); when it names the proxy,
the application's own rule applies (the right-most address that is not a trusted proxy), not
uvicorn's (which would trust only 127.0.0.1 and take the right-most hop whatever it is).
"""

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from tests.live_server import start_serve
from tests.security_helpers import DEFAULT_PASSWORD, make_user, reading

LIMIT = 10


@contextlib.contextmanager
def served(database_url: str, var_dir: Path, trusted_proxies: str) -> Iterator[str]:
    settings = {"SECRET_KEY": "proxy-header-test-key", "TRUSTED_PROXIES": trusted_proxies}
    server = start_serve(database_url, var_dir, settings=settings)
    try:
        yield server.base_url
    finally:
        server.stop()


@contextlib.contextmanager
def login_as(base_url: str) -> Iterator[Callable[[str, str], int]]:
    """A JSON API client (its CSRF token from GET /api/v1/auth/csrf): login(password, forwarded) -> status."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        token = http.get("/api/v1/auth/csrf").json()["csrf_token"]

        def login(password: str, forwarded: str) -> int:
            http.cookies.delete("session")
            response = http.post(
                "/api/v1/auth/login",
                json={"username": "xiaoli", "password": password},
                headers={"X-CSRF-Token": token, "X-Forwarded-For": forwarded},
            )
            return response.status_code

        yield login


def audited_addresses(session: Session, action: str) -> set[str | None]:
    with reading(session) as fresh:
        return set(fresh.execute(sa.select(AuditEvent.client_address).where(AuditEvent.action == action)).scalars())


@pytest.fixture
def xiaoli(session: Session, clean_engine: sa.Engine) -> None:
    make_user(session, Role.VOLUNTEER, username="xiaoli")


@pytest.mark.usefixtures("xiaoli")
def test_with_no_trusted_proxy_a_forged_forwarded_for_is_ignored(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    with served(database_url, tmp_path, trusted_proxies="") as base_url, login_as(base_url) as login:
        statuses = [login(f"wrong guess {n}", f"203.0.113.{n}") for n in range(LIMIT)]
        assert statuses == [401] * LIMIT
        # The probe's reproducer: a locked-out 127.0.0.1 claiming another address stays locked out.
        assert login(DEFAULT_PASSWORD, "203.0.113.99") == 429
        assert login(DEFAULT_PASSWORD, "203.0.113.100, 198.51.100.1") == 429
    # Failures and the throttled attempts alike are recorded with the peer's address, not the forged one.
    assert audited_addresses(session, "auth.login_failed") == {"127.0.0.1"}


@pytest.mark.usefixtures("xiaoli")
def test_a_named_proxy_is_believed_by_the_applications_own_rule(
    database_url: str, tmp_path: Path, session: Session
) -> None:
    # 127.0.0.1 is the proxy in front; 10.0.0.0/8 are the site's inner proxies, also trusted.
    proxies = "127.0.0.1,10.0.0.0/8"
    with served(database_url, tmp_path, trusted_proxies=proxies) as base_url, login_as(base_url) as login:
        # The client is the right-most hop that is no trusted proxy: 203.0.113.5, not 10.1.2.3
        # (uvicorn's own handling, trusting 127.0.0.1 only, would have taken 10.1.2.3).
        statuses = [login("wrong guess", "198.51.100.1, 203.0.113.5, 10.1.2.3") for _ in range(LIMIT)]
        assert statuses == [401] * LIMIT
        assert login(DEFAULT_PASSWORD, "203.0.113.5") == 429
        # Another client behind the proxy signs in: throttling is per account and address.
        assert login(DEFAULT_PASSWORD, "203.0.113.6, 10.9.9.9") == 200
    assert audited_addresses(session, "auth.login_failed") == {"203.0.113.5"}
    assert audited_addresses(session, "auth.login") == {"203.0.113.6"}
