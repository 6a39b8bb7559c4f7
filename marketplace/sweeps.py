"""Housekeeping that list pages run before they read (offers past their window, overdue escalations).

A page reads through the read-only session, which on SQLite never takes the write lock. The sweep
first asks, on that session, whether it has anything to do; only then does it write, in a short
transaction of its own, and the page reads on afterwards in a fresh snapshot that includes it. So a
list request takes the write lock only on the rare visit that finds work, not on every visit.

What a sweep changes, the system changes: its audit rows name no user (actor_role "system"), not the
visitor whose request happened to run it, and carry no client address.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope
from marketplace.security.context import current_client_address, current_user

# The audit log's actor_role for what the application does by itself (sweeps, failed rounds).
SYSTEM_ROLE = "system"


@contextmanager
def acting_as_system() -> Iterator[None]:
    """Within it, nothing is recorded as the signed-in visitor's act or address."""
    user, address = current_user.set(None), current_client_address.set(None)
    try:
        yield
    finally:
        current_client_address.reset(address)
        current_user.reset(user)


def sweep_when_due(
    reader: Session, writers: sessionmaker[Session], due: sa.ColumnElement[bool], sweep: Callable[[Session], Any]
) -> Any:
    """Run ``sweep`` in its own write transaction when ``due`` (an EXISTS test) holds; None when it does not.

    Call it before ``reader`` has read anything the page shows: the reader's snapshot is renewed after a sweep.
    """
    if not reader.execute(sa.select(due)).scalar():
        return None
    reader.rollback()  # the next read begins a new snapshot, which sees what the sweep wrote
    with acting_as_system(), session_scope(writers) as db:
        return sweep(db)
