"""``/readyz`` as a load balancer or an orchestrator asks it: ready only on a database at the newest migration.

A real ``marketplace serve --workers 2`` on 127.0.0.1 answers 200 naming each check on a migrated
database and 503 naming the migrations on one a migration behind (a release started before
``marketplace db upgrade``) or never migrated; Redis counts when jobs go through it; a database that
does not answer gives a 503 within the deadline, never a hang, while ``/healthz`` keeps answering.
"""

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from litestar.testing import TestClient

from marketplace.app import create_app
from marketplace.db.migrate import alembic_config, upgrade
from marketplace.db.scratch import drop_postgres_database, recreate_postgres_database
from marketplace.settings import Settings
from marketplace.system.health import CHECK_DEADLINE_SECONDS, head_revisions
from tests.live_server import LiveServer, free_port, start_serve


def _one_behind_head() -> str:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    (head,) = head_revisions()
    down = scripts.get_revision(head).down_revision
    assert isinstance(down, str)
    return down


@pytest.fixture
def other_database(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database beside the suite's (same server on PostgreSQL), dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'other.sqlite3'}"
        return
    name = f"{sa.make_url(database_url).database}_readyz"
    yield recreate_postgres_database(database_url, name)
    drop_postgres_database(database_url, name)


@pytest.fixture
def serving() -> Iterator[list[LiveServer]]:
    servers: list[LiveServer] = []
    yield servers
    for server in servers:
        server.stop()


def test_ready_only_at_the_newest_migration_and_the_answer_names_what_failed(
    other_database: str, tmp_path: Path, serving: list[LiveServer]
) -> None:
    # Never migrated: the process serves (/healthz is 200) but must not be sent traffic.
    server = start_serve(other_database, tmp_path / "var", workers=2, settings={"SECRET_KEY": "readyz-test"})
    serving.append(server)
    answer = httpx.get(f"{server.base_url}/readyz", timeout=10)
    assert answer.status_code == 503 and answer.headers["retry-after"] == "5"
    body = answer.json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == "ok"
    assert body["checks"]["migrations"].startswith("not migrated")

    # One migration behind the code (the release went out before `marketplace db upgrade`), then upgraded.
    behind = _one_behind_head()
    upgrade(other_database, behind)
    answer = httpx.get(f"{server.base_url}/readyz", timeout=10)
    assert answer.status_code == 503
    assert answer.json()["checks"]["migrations"] == f"at {behind}, head {head_revisions()[0]}"
    upgrade(other_database)
    for _ in range(4):  # new connections: both workers answer sooner or later, each the same
        answer = httpx.get(f"{server.base_url}/readyz", timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.mark.skipif(not _redis_answers(), reason="no Redis at 127.0.0.1:6379")
def test_redis_is_a_check_when_jobs_go_through_it(settings: Settings, clean_engine: sa.Engine) -> None:
    with_redis = dataclasses.replace(settings, redis_url="redis://127.0.0.1:6379/0")
    with TestClient(create_app(with_redis), base_url="http://127.0.0.1") as client:
        answer = client.get("/readyz")
    assert answer.status_code == 200
    assert answer.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}

    nobody_listens = dataclasses.replace(settings, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    with TestClient(create_app(nobody_listens), base_url="http://127.0.0.1") as client:
        answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "unreachable"}


def test_a_database_that_does_not_answer_gives_503_within_the_deadline_and_healthz_still_answers(
    database_url: str, clean_engine: sa.Engine, tmp_path: Path, serving: list[LiveServer]
) -> None:
    """PostgreSQL: a migration holding the version table (ACCESS EXCLUSIVE) makes the probe's read wait."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite readers do not wait for a writer's lock (WAL)")
    server = start_serve(database_url, tmp_path / "var", workers=2, settings={"SECRET_KEY": "readyz-test"})
    serving.append(server)
    locked, release = threading.Event(), threading.Event()

    def hold_the_version_table() -> None:
        with clean_engine.connect() as connection:
            connection.exec_driver_sql("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)
            connection.rollback()

    holder = threading.Thread(target=hold_the_version_table)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        answer = httpx.get(f"{server.base_url}/readyz", timeout=30)
        waited = time.monotonic() - started
        assert answer.status_code == 503
        assert answer.json()["checks"] == {"database": "timed out", "migrations": "unknown"}
        assert CHECK_DEADLINE_SECONDS <= waited < CHECK_DEADLINE_SECONDS + 2
        # The event loop was never blocked: the liveness check answers while the probe's thread waits.
        assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200
    finally:
        release.set()
        holder.join()
    assert httpx.get(f"{server.base_url}/readyz", timeout=10).status_code == 200
