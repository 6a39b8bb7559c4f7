"""Nothing blocks the event loop: a real server keeps answering when its pool is busy or exhausted.

The outside load run found logged-in pages hanging the whole server at 50 connections: a template
counted unread notifications on the event loop, waiting for a pooled connection held by threads that
needed the loop to finish. These tests drive a real uvicorn on 127.0.0.1 with a deliberately tiny pool.
"""

import asyncio
import re
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.engine import EventLoopQuery, create_db_engine
from marketplace.db.errors import is_unavailable
from marketplace.settings import DatabaseSettings, Settings
from tests.live_app import LiveApp, start_live_app
from tests.security_helpers import DEFAULT_PASSWORD, make_user
from tests.test_notifications import add_notifications

PAGES_WITH_THE_USER_MENU = ("/signups", "/notifications", "/account", "/")


def _small_pool(settings: Settings, *, size: int, threads: int, timeout: float = 10.0) -> Settings:
    database = replace(settings.database, pool_size=size, max_overflow=0, pool_timeout=timeout)
    return replace(settings, database=database, thread_limit=threads)


@pytest.fixture
def serve(clean_engine: sa.Engine):  # type: ignore[no-untyped-def]
    """Start a live app with given settings; stopped after the test."""
    started: list[LiveApp] = []

    def start(settings: Settings) -> LiveApp:
        live = start_live_app(settings)
        started.append(live)
        return live

    yield start
    for live in started:
        live.stop()


def _signed_in(live: LiveApp, username: str) -> httpx.Client:
    client = live.client(timeout=60)
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    answer = client.post("/login", data={"username": username, "password": DEFAULT_PASSWORD, "csrf_token": token[1]})
    assert answer.status_code in (302, 303), answer.text[:300]
    return client


def test_fifty_logged_in_requests_at_once_all_answer_with_a_pool_of_two(
    serve, settings: Settings, session: Session
) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(session, Role.VOLUNTEER)
    add_notifications(session, volunteer.id, 3)
    live = serve(_small_pool(settings, size=2, threads=4))
    client = _signed_in(live, volunteer.username)
    cookies = dict(client.cookies)

    def one(n: int) -> httpx.Response:
        path = PAGES_WITH_THE_USER_MENU[n % len(PAGES_WITH_THE_USER_MENU)]
        with httpx.Client(base_url=live.base_url, cookies=cookies, timeout=60) as own:
            return own.get(path)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(one, range(50)))

    assert [r.status_code for r in responses] == [200] * 50, live.log()[-2000:]
    # The badge is still there, counted with the login check rather than by the template.
    assert all('class="inbox-badge">1<' in r.text for r in responses)  # three of one digest: one entry
    assert "Traceback" not in live.log(), live.log()[-3000:]


def test_an_exhausted_pool_answers_503_after_a_bounded_wait_and_everything_else_still_answers(
    serve, settings: Settings, session: Session
) -> None:  # type: ignore[no-untyped-def]
    volunteer = make_user(session, Role.VOLUNTEER)
    live = serve(_small_pool(settings, size=1, threads=4, timeout=0.5))
    cookies = dict(_signed_in(live, volunteer.username).cookies)
    engine: sa.Engine = live.server.config.app.state.engine  # type: ignore[union-attr]

    held = engine.connect()  # the only connection: every request needing the database must wait
    try:
        paths = ["/healthz", "/", "/api/v1/projects", "/signups", "/static/css/site.css", "/lang/en?next=/"]

        def one(path: str) -> tuple[str, httpx.Response, float]:
            started = time.monotonic()
            signed_in = cookies if path in ("/signups", "/static/css/site.css") else {}
            with httpx.Client(base_url=live.base_url, cookies=signed_in, timeout=30) as own:
                response = own.get(path, follow_redirects=False)
            return path, response, time.monotonic() - started

        with ThreadPoolExecutor(max_workers=24) as pool:
            results = list(pool.map(one, paths * 4))
    finally:
        held.close()

    by_path = {path: response for path, response, _ in results}
    assert max(elapsed for _, _, elapsed in results) < 15
    for path in ("/healthz", "/api/v1/projects"):
        assert by_path[path].status_code == 503, (path, by_path[path].text[:300])
        assert by_path[path].headers["retry-after"] == "5"
    assert by_path["/"].status_code == 503
    assert "text/html" in by_path["/"].headers["content-type"]
    assert by_path["/signups"].status_code == 503  # the login check itself could not get a connection
    assert by_path["/static/css/site.css"].status_code == 200
    assert by_path["/lang/en?next=/"].status_code == 303
    # Once the connection is back, the same server serves normally: nothing was wedged.
    assert httpx.get(f"{live.base_url}/healthz", timeout=10).status_code == 200
    assert httpx.get(f"{live.base_url}/signups", cookies=cookies, timeout=10).status_code == 200


def test_logged_in_pages_do_not_wait_for_a_writer_on_sqlite(
    serve, settings: Settings, session: Session, is_postgres: bool
) -> None:  # type: ignore[no-untyped-def]
    if is_postgres:
        pytest.skip("SQLite's single write lock is what readers must not wait for")
    volunteer = make_user(session, Role.VOLUNTEER)
    live = serve(settings)
    client = _signed_in(live, volunteer.username)
    client.get("/signups")  # the session was just used: nothing to write down for a minute

    writer = create_db_engine(DatabaseSettings(url=settings.database.url, sqlite_busy_timeout=1))
    try:
        with writer.connect() as connection:
            # The engine begins every write transaction with BEGIN IMMEDIATE: now it holds the write lock.
            connection.exec_driver_sql("SELECT 1")
            started = time.monotonic()
            pages = [client.get(path) for path in PAGES_WITH_THE_USER_MENU]
            elapsed = time.monotonic() - started
            connection.rollback()
    finally:
        writer.dispose()
    assert [p.status_code for p in pages] == [200] * len(pages)
    # Waiting for the lock would take the 30 s busy timeout; reading takes a fraction of a second.
    assert elapsed < 10


def test_a_query_made_on_the_event_loop_is_refused(settings: Settings) -> None:
    engine = create_db_engine(settings.database)

    async def on_the_loop() -> None:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))

    try:
        with pytest.raises(EventLoopQuery):
            asyncio.run(on_the_loop())
        with engine.connect() as connection:  # off the loop, the same engine works
            assert connection.execute(sa.text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (sa.exc.TimeoutError("QueuePool limit reached"), True),
        (sa.exc.OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked")), True),
        (sa.exc.OperationalError("SELECT x", {}, sqlite3.OperationalError("no such column: x")), False),
        (sa.exc.ProgrammingError("SELECT x", {}, Exception("undefined column")), False),
    ],
)
def test_only_a_busy_or_absent_database_is_a_503_not_a_fault_in_our_sql(error: Exception, transient: bool) -> None:
    assert is_unavailable(error) is transient
