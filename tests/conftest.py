"""Shared fixtures: a real database per xdist worker (SQLite file or PostgreSQL), migrated once.

The suite takes its database from ``MARKETPLACE_TEST_DATABASE_URL`` (a PostgreSQL URL such as
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); without it every worker gets a SQLite file.
Each worker gets its own database so parallel workers never see each other's rows, and every
test starts from empty tables.
"""

import os
import time
from collections.abc import Iterator
from pathlib import Path

import argon2
import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

import marketplace.models  # noqa: F401  (registers every table)
from marketplace.accounts import passwords
from marketplace.app import create_app
from marketplace.db.engine import create_db_engine, make_session_factory
from marketplace.db.migrate import upgrade
from marketplace.db.scratch import recreate_postgres_database
from marketplace.settings import DatabaseSettings, Settings
from tests.live_server import LiveServer, start_demo

TEST_DATABASE_ENV = "MARKETPLACE_TEST_DATABASE_URL"

# Real argon2id, at its cheapest cost: hundreds of logins in the suite would otherwise take minutes.
passwords.use_parameters(argon2.profiles.CHEAPEST)


def _worker_database_url(base_url: str | None, worker_id: str, tmp_dir: Path) -> str:
    if not base_url:
        return f"sqlite:///{tmp_dir / f'test-{worker_id}.sqlite3'}"
    url = sa.make_url(base_url)
    if not url.get_backend_name().startswith("postgresql"):
        return base_url
    return recreate_postgres_database(base_url, f"{url.database or 'test'}_{worker_id}".replace("-", "_"))


@pytest.fixture(scope="session")
def database_url(worker_id: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database of this worker's own."""
    url = _worker_database_url(os.environ.get(TEST_DATABASE_ENV), worker_id, tmp_path_factory.mktemp("db"))
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def is_postgres(database_url: str) -> bool:
    return database_url.startswith("postgresql")


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_db_engine(DatabaseSettings(url=database_url))
    yield engine
    engine.dispose()


DEADLOCK_RETRIES = 3


# Sequences this suite's tests have drawn from go back to their start, as TRUNCATE ... RESTART IDENTITY would.
_RESTART_USED_SEQUENCES = (
    "SELECT setval(quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value, false) FROM pg_sequences "
    "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
)


def empty_all_tables(engine: sa.Engine) -> None:
    """Every table empty and every id counting from 1 again, children first.

    DELETE rather than TRUNCATE on PostgreSQL: TRUNCATE gives each of the few dozen tables a new file
    (about 0.4 s on a quiet machine, run twice per test), while a test leaves only a few rows to delete."""
    tables = list(reversed(SQLModel.metadata.sorted_tables))
    if engine.dialect.name == "postgresql":
        # A test's app may leave a background writer mid-transaction: should PostgreSQL cancel one side of a
        # deadlock, or the writer add a child row after its table was emptied (its parent's DELETE then
        # breaks the foreign key), the emptying is tried again.
        for attempt in range(DEADLOCK_RETRIES):
            try:
                with engine.begin() as connection:
                    for table in tables:
                        connection.execute(table.delete())
                    connection.exec_driver_sql(_RESTART_USED_SEQUENCES)
                return
            except (sa.exc.OperationalError, sa.exc.IntegrityError) as error:
                raced = isinstance(error, sa.exc.IntegrityError) or "deadlock" in str(error)
                if not raced or attempt == DEADLOCK_RETRIES - 1:
                    raise
                time.sleep(0.2 * (attempt + 1))
        return
    with engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())
        if connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'").first():
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")


@pytest.fixture
def clean_engine(engine: sa.Engine) -> Iterator[sa.Engine]:
    """The worker's engine with every table empty before and after the test."""
    empty_all_tables(engine)
    yield engine
    empty_all_tables(engine)


@pytest.fixture
def session_factory(clean_engine: sa.Engine) -> sessionmaker[Session]:
    return make_session_factory(clean_engine)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database=DatabaseSettings(url=database_url),
        secret_key="test-secret-key-not-for-production",
        var_dir=tmp_path,
        allowed_hosts=("testserver.local", "127.0.0.1", "localhost"),
    )


@pytest.fixture
def app(settings: Settings, clean_engine: sa.Engine) -> Litestar:
    return create_app(settings)


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=app) as client:
        yield client


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``marketplace demo`` running in its own process; tests using it share one xdist group."""
    server = start_demo(tmp_path_factory.mktemp("demo-var"))
    yield server
    server.stop()
