"""Engine and session factory for SQLite (the embedded default) and PostgreSQL (production)."""

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.settings import DatabaseSettings


class EventLoopQuery(RuntimeError):
    """A query was made on the event loop's thread, where it would stall every other request."""


def create_db_engine(settings: DatabaseSettings) -> sa.Engine:
    """Build the engine; SQLite gets WAL, foreign keys, a busy timeout and BEGIN IMMEDIATE writes."""
    if settings.is_sqlite:
        engine = _sqlite_engine(settings)
    else:
        engine = sa.create_engine(
            settings.url,
            echo=settings.echo,
            pool_pre_ping=True,
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,
        )
    if settings.forbid_event_loop_queries:
        forbid_event_loop_queries(engine)
    return engine


def forbid_event_loop_queries(engine: sa.Engine) -> None:
    """Make a query from the event loop's thread fail loudly instead of blocking the server.

    A template or an async hook that queried would hold the loop while it waits for a pooled
    connection that only the loop can free: under load the whole process hangs. Handlers run on
    worker threads (no running loop there), so this costs them one cheap check per connection use.
    """

    @event.listens_for(engine, "checkout")
    def _refuse_on_loop(*_args: Any) -> None:
        if _on_event_loop():
            raise EventLoopQuery("database used on the event loop thread; run it in a worker thread")

    @event.listens_for(engine, "before_cursor_execute")
    def _refuse_statement_on_loop(*_args: Any) -> None:
        if _on_event_loop():
            raise EventLoopQuery("query on the event loop thread; templates must not touch the database")


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _sqlite_engine(settings: DatabaseSettings) -> sa.Engine:
    url = sa.make_url(settings.url)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        echo=settings.echo,
        connect_args={"check_same_thread": False, "timeout": settings.sqlite_busy_timeout},
        pool_size=settings.pool_size,
        max_overflow=settings.max_overflow,
        pool_timeout=settings.pool_timeout,
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
