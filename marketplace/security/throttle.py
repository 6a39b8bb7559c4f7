"""Login throttling per account and per client address, counted in the shared database.

Each attempt first RESERVES a failure row in one short serialised transaction (SQLite: the write
session's BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), counting the rows
already there. So N concurrent attempts see 0, 1, 2, ... N-1 earlier failures in turn, and exactly
``login_failure_limit`` of them get to check a password, whichever worker process serves them.
A successful login deletes its own reservation (it was no failure); it never erases other rows.
"""

import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import LoginFailure
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.settings import Settings

# pg_advisory_xact_lock key: an arbitrary constant naming "the login throttle".
_PG_LOCK_KEY = 734_2026_03
PRUNE_AFTER = timedelta(days=1)
PRUNE_PROBABILITY = 0.01


class Throttled(Exception):
    """Too many recent failures for this account or this address; try again after ``retry_after`` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled, retry after {retry_after} s")
        self.retry_after = retry_after


def normalise_account(username: str) -> str:
    return username.strip().casefold()[:64]


def _retry_after(
    db: Session, column: sa.ColumnElement[str], value: str, since: datetime, window: int, limit: int
) -> int:
    # The failure that must leave the window before one more attempt is allowed.
    times = (
        db.execute(
            sa.select(LoginFailure.failed_at)
            .where(column == value, LoginFailure.failed_at > since)
            .order_by(LoginFailure.failed_at.desc())  # type: ignore[attr-defined]
            .limit(limit)
        )
        .scalars()
        .all()
    )
    if len(times) < limit:
        return 1
    oldest = times[-1]
    return max(1, int((oldest + timedelta(seconds=window) - utcnow()).total_seconds()) + 1)


def reserve_attempt(factory: sessionmaker[Session], settings: Settings, username: str, address: str) -> int:
    """Count recent failures and record this attempt as one, atomically; the reservation's id.

    Raises Throttled when the account or the address already has ``login_failure_limit`` failures.
    """
    account = normalise_account(username)
    address = (address or "unknown")[:64]
    window = settings.login_failure_window_seconds
    limit = settings.login_failure_limit
    with session_scope(factory) as db:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        now = utcnow()
        since = now - timedelta(seconds=window)
        if random.random() < PRUNE_PROBABILITY:
            prune_failures(db, now)
        for column, value in ((LoginFailure.account, account), (LoginFailure.client_address, address)):
            recent = db.execute(
                sa.select(sa.func.count()).where(column == value, LoginFailure.failed_at > since)
            ).scalar_one()
            if recent >= limit:
                raise Throttled(_retry_after(db, column, value, since, window, limit))  # type: ignore[arg-type]
        row = LoginFailure(account=account, client_address=address, failed_at=now)
        db.add(row)
        db.flush()
        assert row.id is not None
        return row.id


def prune_failures(db: Session, now: datetime | None = None) -> int:
    """Forget failures older than a day (far outside any window); returns how many went."""
    cutoff = (now or utcnow()) - PRUNE_AFTER
    result = db.execute(sa.delete(LoginFailure).where(LoginFailure.failed_at < cutoff))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_attempt(db: Session, reservation_id: int) -> None:
    """The attempt succeeded: it was no failure after all."""
    db.execute(sa.delete(LoginFailure).where(LoginFailure.id == reservation_id))  # type: ignore[arg-type]
