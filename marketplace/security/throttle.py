"""Login throttling that stops guessing without letting a stranger lock a user out.

Three counts of recent failures, all in the shared database (every worker process sees them):

- per account AND address together: ``login_failure_limit`` failures in the window, then 429 for that
  pair only. A stranger's wrong passwords from elsewhere never lock the user's own device out;
- per address, across accounts: the same limit, so one address cannot spray passwords over many
  accounts. An account's usual device skips this count (the pair count still holds it): otherwise ten
  wrong passwords for made-up names from a street office's shared address would lock every colleague
  signing in from there out, again every five minutes;
- per account, across every address: a higher ceiling (``ACCOUNT_CEILING_FACTOR`` × the limit per
  hour) after which each further attempt must wait a delay that doubles with every failure, up to
  ``MAX_DELAY`` (429 with Retry-After): an attacker with many addresses is slowed to a few guesses an
  hour, never walled off; the account's usual devices (an address it signed in from lately) skip it.

This follows OWASP ASVS v4 2.2.1 (anti-automation that does not lock the account out) and NIST SP
800-63B 5.2.2 (rate limiting, at most 100 consecutive failures, delays rather than lockout).

Each attempt first RESERVES a failure row in one short serialised transaction (SQLite: the write
session's BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), counting the rows
already there. So N concurrent attempts see 0, 1, 2, ... N-1 earlier failures in turn, and exactly
``login_failure_limit`` of them get to check a password, whichever worker process serves them.
A successful login deletes its own reservation (it was no failure); it never erases other rows.
"""

import math
import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import LoginFailure, UserSession
from marketplace.accounts.models import User
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.settings import Settings

# pg_advisory_xact_lock key: an arbitrary constant naming "the login throttle".
_PG_LOCK_KEY = 734_2026_03
PRUNE_AFTER = timedelta(days=1)
PRUNE_PROBABILITY = 0.01
# The account-wide ceiling: this many times the per-pair limit within the hour, then growing delays.
ACCOUNT_WINDOW = timedelta(hours=1)
ACCOUNT_CEILING_FACTOR = 3
MAX_DELAY = 300
# An address the account signed in from within this time is one of its usual devices.
USUAL_DEVICE_DAYS = timedelta(days=30)


class Throttled(Exception):
    """Too many recent failures for this account or this address; try again after ``retry_after`` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled, retry after {retry_after} s")
        self.retry_after = retry_after


def normalise_account(username: str) -> str:
    return username.strip().casefold()[:64]


def _retry_after(db: Session, where: sa.ColumnElement[bool], since: datetime, window: int, limit: int) -> int:
    # The failure that must leave the window before one more attempt is allowed.
    times = (
        db.execute(
            sa.select(LoginFailure.failed_at)
            .where(where, LoginFailure.failed_at > since)  # type: ignore[arg-type]
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


def _is_usual_device(db: Session, account: str, address: str, now: datetime) -> bool:
    """The account signed in from this address lately (the peer or a trusted proxy's word: never forged)."""
    found = db.execute(
        sa.select(UserSession.id)
        .join(User, User.id == UserSession.user_id)  # type: ignore[arg-type]
        .where(
            User.username == account,
            UserSession.client_address == address,
            UserSession.created_at > now - USUAL_DEVICE_DAYS,
        )
        .limit(1)
    ).first()
    return found is not None


def _account_delay(db: Session, account: str, usual_device: bool, now: datetime, limit: int) -> int:
    """Seconds this attempt must still wait under the account-wide ceiling (0: go ahead)."""
    count, latest = db.execute(
        sa.select(sa.func.count(), sa.func.max(LoginFailure.failed_at)).where(
            LoginFailure.account == account,
            LoginFailure.failed_at > now - ACCOUNT_WINDOW,  # type: ignore[arg-type]
        )
    ).one()
    ceiling = ACCOUNT_CEILING_FACTOR * limit
    if count < ceiling or latest is None or usual_device:
        return 0
    delay = min(2 ** min(count - ceiling, 16), MAX_DELAY)
    wait = (latest + timedelta(seconds=delay) - now).total_seconds()
    return math.ceil(wait) if wait > 0 else 0


def reserve_attempt(factory: sessionmaker[Session], settings: Settings, username: str, address: str) -> int:
    """Count recent failures and record this attempt as one, atomically; the reservation's id.

    Raises Throttled when this account from this address, or this address over all accounts (unless it is
    the account's usual device), already has ``login_failure_limit`` failures, or when the account-wide
    ceiling asks for a delay.
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
        usual_device = _is_usual_device(db, account, address, now)
        pair = sa.and_(LoginFailure.account == account, LoginFailure.client_address == address)
        counts = (pair,) if usual_device else (pair, LoginFailure.client_address == address)
        for where in counts:
            recent = db.execute(
                sa.select(sa.func.count()).where(where, LoginFailure.failed_at > since)  # type: ignore[arg-type]
            ).scalar_one()
            if recent >= limit:
                raise Throttled(_retry_after(db, where, since, window, limit))  # type: ignore[arg-type]
        wait = _account_delay(db, account, usual_device, now, limit)
        if wait:
            raise Throttled(wait)
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


def forget_account_failures(db: Session, username: str) -> int:
    """The owner proved the account theirs and set a new password (a reset link): the failed guesses at the
    old one no longer hold the owner back; how many were forgotten. Other accounts' counts are untouched."""
    result = db.execute(sa.delete(LoginFailure).where(LoginFailure.account == normalise_account(username)))  # type: ignore[arg-type]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def release_attempt(db: Session, reservation_id: int) -> None:
    """The attempt succeeded: it was no failure after all."""
    db.execute(sa.delete(LoginFailure).where(LoginFailure.id == reservation_id))  # type: ignore[arg-type]
