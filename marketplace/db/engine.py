"""Engine and session factory for SQLite (the embedded default) and PostgreSQL (production)."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.settings import DatabaseSettings


def create_db_engine(settings: DatabaseSettings) -> sa.Engine:
    """Build the engine; SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE writes."""
    if settings.is_sqlite:
        return _sqlite_engine(settings)
    return sa.create_engine(
        settings.url,
        echo=settings.echo,
        pool_pre_ping=True,
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size * 2,
    )


def _sqlite_engine(settings: DatabaseSettings) -> sa.Engine:
    url = sa.make_url(settings.url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        echo=settings.echo,
        connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout},
        pool_size=settings.pool_size,
        max_overflow=settings.pool_size * 2,
    )
    busy_ms = int(settings.sqlite_busy_timeout * 1000)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (the documented recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A read-then-write transaction started as DEFERRED can fail with "database is locked"
        # that no timeout cures; taking the write lock up front makes writers queue instead.
        # Read-only sessions (pages, API reads) begin DEFERRED so they never wait for writers.
        readonly = connection.get_execution_options().get("readonly", False)
        connection.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: sa.Engine, *, readonly: bool = False) -> sessionmaker[Session]:
    """Sessions for writing, or (``readonly=True``) for reading only: on SQLite these begin DEFERRED."""
    bind = engine.execution_options(readonly=True) if readonly else engine
    return sessionmaker(bind=bind, class_=Session, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
