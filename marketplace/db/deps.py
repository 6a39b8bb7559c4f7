"""Database sessions as Litestar dependencies: one unit of work per request."""

from collections.abc import Iterator
from typing import TypeAlias

from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope


def provide_db(state: State) -> Iterator[Session]:
    """A read-write session that commits when the handler returns and rolls back when it raises."""
    factory: sessionmaker[Session] = state.session_factory
    with session_scope(factory) as session:
        yield session


def provide_reader(state: State) -> Iterator[Session]:
    """A read-only session: on SQLite it never takes the write lock."""
    factory: sessionmaker[Session] = state.reader_factory
    session = factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


# Handlers declare ``db: DbSession`` or ``reader: ReaderSession``; Litestar injects by parameter name.
DbSession: TypeAlias = NamedDependency[Session]
ReaderSession: TypeAlias = NamedDependency[Session]
