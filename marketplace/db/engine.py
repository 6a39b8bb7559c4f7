"""Engine and session factory for SQLite (the embedded default) and PostgreSQL (production)."""

import asyncio
import fcntl
import os
import sqlite3
import time
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


# No JIT compilation: the pages' queries are short, and the planner's cost of the larger ones (a city
# admin's review counts over 27,533 pending items: 0.7 million) passes jit_above_cost, so PostgreSQL spent
# 350-450 ms compiling with LLVM to save a part of a 150 ms query (docs/city.md). Parallel query stays on:
# with max_parallel_workers_per_gather = 0 the city admin's review page ids took 687-732 ms instead of
# 598-612 ms and nothing got faster (benchmarks/results/review_city_admin_postgres_parallel_workers*).
POSTGRESQL_OPTIONS = "-c jit=off"


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
            connect_args={"options": POSTGRESQL_OPTIONS},
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

    gate = WriteGate(url.database, settings.sqlite_busy_timeout) if _is_file(url.database) else None

    @event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        # A read-then-write transaction started as DEFERRED can fail with "database is locked"
        # that no timeout cures; taking the write lock up front makes writers queue instead.
        # Read-only sessions (pages, API reads) begin DEFERRED so they never wait for writers.
        if connection.get_execution_options().get("readonly", False):
            connection.exec_driver_sql("BEGIN")
            return
        if gate is None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            return
        gate.enter(connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            gate.leave(connection)
            raise

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection: sa.Connection) -> None:
        if gate is not None:
            gate.leave(connection)

    # A connection that goes back to the pool or is thrown away without a commit or rollback event
    # (an error that invalidates it) must not keep the gate shut for every later writer.
    @event.listens_for(engine.pool, "checkin")
    @event.listens_for(engine.pool, "invalidate")
    def _on_release(_dbapi_connection: Any, record: Any, *_args: Any) -> None:
        if gate is not None and record is not None:
            gate.leave_record(record.info)

    return engine


class WriteGate:
    """Writers take turns here, across threads and processes, before asking SQLite for its write lock.

    SQLite's own wait for the lock is a loop of growing sleeps (up to 100 ms): under a crowd of
    writers a waiter asleep keeps missing the moment the lock is free while others go first, and a
    few requests waited out the whole timeout. Here each writer holds an exclusive ``flock`` on a
    file beside the database while its transaction is open, and a waiter looks again every
    millisecond or two, so the lock passes on within milliseconds of being freed. A gate in one
    process only was tried: with two workers, one process's queue kept beating the other's sleeper.
    The kernel drops the lock of a process that dies; the pool hooks below drop a leaked one.
    """

    def __init__(self, database: str, timeout: float) -> None:
        self.path = f"{database}.writers"
        self.timeout = timeout

    def enter(self, connection: sa.Connection) -> None:
        # A descriptor per transaction: flock locks belong to open files, not threads.
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout
        pause = 0.0005
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(descriptor)
                    raise sa.exc.OperationalError(
                        "BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked")
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)
        connection.info[_HOLDS_GATE] = descriptor

    def leave(self, connection: sa.Connection) -> None:
        self.leave_record(connection.info)

    def leave_record(self, info: dict[Any, Any]) -> None:
        descriptor = info.pop(_HOLDS_GATE, None)
        if descriptor is not None:
            os.close(descriptor)  # closing the file releases its lock


_HOLDS_GATE = "holds_write_gate"


def _is_file(database: str | None) -> bool:
    return bool(database) and database != ":memory:" and not str(database).startswith("file:")


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
