"""A new token's secret and a reset link are shown once even when their page opens several times at the same
instant: against a real ``marketplace serve --workers 2`` on 127.0.0.1, eight first GETs of the same page in
the session that made it, released together, give exactly one page with the secret; the seven others say it
is not shown again (200, never a 5xx), the stored digest is the shown secret's, and the secret works.

``security.reveal.show_once`` swaps the pending digest for the secret's in one conditional UPDATE; this is
that UPDATE under real concurrency (two processes, a connection pool each), on SQLite and PostgreSQL.
"""

import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import ApiToken, PasswordReset
from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.notifications.models import Notification
from marketplace.security.secrets import digest
from marketplace.settings import Settings
from tests.live_server import LiveServer, start_serve
from tests.security_helpers import make_user, reading
from tests.security_world import Identity, session_identity

AT_ONCE = 8
TOKEN_SECRET = re.compile(r"rpm_[A-Za-z0-9_\-]{20,}")
RESET_LINK = re.compile(r"/reset/([A-Za-z0-9_\-]{20,})")


@pytest.fixture
def server(database_url: str, tmp_path: Path, settings: Settings, clean_engine: sa.Engine) -> Iterator[LiveServer]:
    # The suite's secret key: the sessions and CSRF tokens made here are the server's own.
    served = start_serve(database_url, tmp_path / "var", workers=2, settings={"SECRET_KEY": settings.secret_key})
    try:
        yield served
    finally:
        served.stop()


def _client(server: LiveServer, identity: Identity) -> httpx.Client:
    return httpx.Client(base_url=server.base_url, cookies=identity.cookies | {"lang": "en"}, timeout=60)


def _all_at_once(server: LiveServer, identity: Identity, path: str) -> list[httpx.Response]:
    """``AT_ONCE`` GETs of ``path``, each on its own connection (opened first), released by one barrier."""
    barrier = threading.Barrier(AT_ONCE)

    def one(_: int) -> httpx.Response:
        with _client(server, identity) as http:
            assert http.get("/healthz").status_code == 200  # the connection is open before the race
            barrier.wait(timeout=60)
            return http.get(path)

    with ThreadPoolExecutor(AT_ONCE) as pool:
        return list(pool.map(one, range(AT_ONCE)))


def _count(session: Session, statement: sa.Select[tuple[int]]) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(statement).scalar_one())


def _actions(session: Session, action: str) -> int:
    query = sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    return _count(session, query)


def test_eight_first_views_of_a_token_and_a_reset_link_show_each_secret_once(
    server: LiveServer, session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    admin = make_user(session, Role.ADMIN, username="root")
    staff = make_user(session, Role.STAFF, username="forgetful")
    session.commit()
    maker = session_identity(session_factory, settings, admin)

    # --- three tokens, each page opened eight times at once ---
    for round_number in range(3):
        with _client(server, maker) as http:
            form = {"csrf_token": maker.csrf, "user": "forgetful", "name": f"hotline {round_number}"}
            created = http.post("/admin/tokens", data=form | {"scopes": "needs:read"})
        assert created.status_code == 303, created.text[:2000]
        page = created.headers["location"]
        answers = _all_at_once(server, maker, page)
        assert [a.status_code for a in answers] == [200] * AT_ONCE, [
            a.text[:300] for a in answers if a.status_code != 200
        ]
        shown = [secret for a in answers for secret in set(TOKEN_SECRET.findall(a.text))]
        assert len(shown) == 1, shown
        refused = [a for a in answers if not TOKEN_SECRET.search(a.text)]
        assert len(refused) == AT_ONCE - 1
        assert all(f"is not shown again: hotline {round_number}" in a.text for a in refused)
        token_id = int(page.split("/")[-2])
        with reading(session) as fresh:
            row = fresh.get(ApiToken, token_id)
            assert row is not None and row.token_hash == digest(shown[0]) and row.prefix == shown[0][:12]
        me = httpx.get(f"{server.base_url}/api/v1/tokens/me", headers={"Authorization": f"Bearer {shown[0]}"})
        assert me.status_code == 200 and me.json()["user"]["username"] == "forgetful"
    assert _actions(session, "token.secret_shown") == 3

    # --- a reset link, its page opened eight times at once ---
    with _client(server, maker) as http:
        issued = http.post(f"/admin/users/{staff.id}/reset-link", data={"csrf_token": maker.csrf})
    assert issued.status_code == 303, issued.text[:2000]
    answers = _all_at_once(server, maker, issued.headers["location"])
    assert [a.status_code for a in answers] == [200] * AT_ONCE, [a.text[:300] for a in answers if a.status_code != 200]
    links = [secret for a in answers for secret in set(RESET_LINK.findall(a.text))]
    assert len(links) == 1, links
    refused = [a for a in answers if not RESET_LINK.search(a.text)]
    assert len(refused) == AT_ONCE - 1 and all("This reset link is not shown again" in a.text for a in refused)
    with reading(session) as fresh:
        [reset] = fresh.execute(sa.select(PasswordReset)).scalars().all()
        assert reset.token_hash == digest(links[0])
        notes = list(fresh.execute(sa.select(Notification).where(Notification.kind == "password_reset")).scalars())
    assert [note.payload["link"] for note in notes] == [f"/reset/{links[0]}"]  # the outbox got it once
    assert httpx.get(f"{server.base_url}/reset/{links[0]}").status_code == 200
    assert "Traceback" not in server.output()
