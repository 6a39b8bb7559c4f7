"""Database sessions as Litestar dependencies: one unit of work per request."""

import asyncio
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeAlias

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

# Commits, rollbacks and closes run on threads of their own. Litestar would run a sync generator's
# cleanup on the same executor as sync handlers: when every worker is a handler waiting for SQLite's
# write lock, the commit that would release the lock waits for a worker, and all of them time out with
# "database is locked". Finishing a transaction never waits for a lock, so these threads never block.
_FINISHER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="db-finish")


async def _finish(step: Callable[[], Any]) -> None:
    await asyncio.get_running_loop().run_in_executor(_FINISHER, step)


async def provide_db(state: State) -> AsyncIterator[Session]:
    """A read-write session that commits when the handler returns and rolls back when it raises."""
    factory: sessionmaker[Session] = state.session_factory
    session = factory()
    try:
        yield session
    except BaseException:
        await _finish(lambda: _close(session, commit=False))
        raise
    await _finish(lambda: _close(session, commit=True))


async def provide_reader(state: State) -> AsyncIterator[Session]:
    """A read-only session: on SQLite it never takes the write lock."""
    factory: sessionmaker[Session] = state.reader_factory
    session = factory()
    try:
        yield session
    finally:
        # Closing rolls the read transaction back and returns the connection: one trip to a thread.
        await _finish(session.close)


def _close(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close in one trip to a finishing thread; a failed commit still closes."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


# Handlers declare ``db: DbSession`` or ``reader: ReaderSession``; Litestar injects by parameter name.
DbSession: TypeAlias = NamedDependency[Session]
ReaderSession: TypeAlias = NamedDependency[Session]
