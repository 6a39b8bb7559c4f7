"""Needs residents submit through the public form, and the limit on how many one address may send.

Every public submission leaves a ``need_submission`` row (address, time, need). The limit is counted
in the same write transaction that records the need, under a lock every worker process shares
(SQLite: the write session's BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock per
address), so N concurrent submissions from one address see 0, 1, 2, ... earlier rows in turn and
exactly ``limit`` of them get through, whichever process serves them.

The same rows and lock also limit lookups on the public tracking page (tracking.py): those are counted
under the key ``track:<address>`` with no need, so they never use up the address's submissions.
"""

import zlib
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Index
from sqlmodel import Field, Session, SQLModel

from marketplace.db.types import UTCDateTime, utcnow
from marketplace.needs import services
from marketplace.needs.models import GridToConfirm, Need
from marketplace.needs.schemas import NeedCreate

SUBMISSION_LIMIT = 5
SUBMISSION_WINDOW = timedelta(hours=1)
# Addresses are personal data: kept no longer than the limit needs them (and a margin).
KEEP_FOR = timedelta(days=1)
# pg_advisory_xact_lock(class, key): an arbitrary constant naming "public need submissions".
_PG_LOCK_CLASS = 734_2026


class NeedSubmission(SQLModel, table=True):
    """One need sent through the public form, by client address (for the rate limit)."""

    __tablename__ = "need_submission"
    __table_args__ = (Index("need_submission_by_address", "client_address", "submitted_at"),)

    id: int | None = Field(default=None, primary_key=True)
    client_address: str = Field(max_length=64)
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    need_id: int | None = Field(default=None, foreign_key="need.id", ondelete="SET NULL")


class TooManySubmissions(Exception):
    """The address already sent ``SUBMISSION_LIMIT`` needs within the window; retry after ``retry_after`` s."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many submissions, retry after {retry_after} s")
        self.retry_after = retry_after


def _lock(db: Session, address: str) -> None:
    """Serialise submissions from one address (SQLite already serialises every writer)."""
    if db.get_bind().dialect.name == "postgresql":
        key = zlib.crc32(address.encode()) - 2**31  # a signed 32-bit key
        db.execute(sa.text("SELECT pg_advisory_xact_lock(:class, :key)"), {"class": _PG_LOCK_CLASS, "key": key})


def _check_limit(db: Session, address: str, now: datetime, *, limit: int, window: timedelta) -> None:
    since = now - window
    times = (
        db.execute(
            sa.select(NeedSubmission.submitted_at)
            .where(NeedSubmission.client_address == address, NeedSubmission.submitted_at > since)  # type: ignore[arg-type]
            .order_by(NeedSubmission.submitted_at)  # type: ignore[arg-type]
        )
        .scalars()
        .all()
    )
    if len(times) >= limit:
        # The oldest counted submission must leave the window before one more is allowed.
        oldest = times[len(times) - limit]
        raise TooManySubmissions(max(1, int((oldest + window - now).total_seconds()) + 1))


def submit_need(
    db: Session,
    address: str | None,
    data: NeedCreate,
    *,
    limit: int = SUBMISSION_LIMIT,
    window: timedelta = SUBMISSION_WINDOW,
    grid_to_confirm: GridToConfirm | None = None,
) -> Need:
    """Record a resident's need (no signed-in actor; it waits for staff review) if the address may send one.

    Raises TooManySubmissions, or NeedProblem for an unknown grid. Runs in the caller's transaction,
    which must commit (or roll back) as one unit with the need.
    """
    address = (address or "unknown")[:64]
    now = count_in(db, address, limit=limit, window=window)
    need, _created = services.create_need(db, None, data, grid_to_confirm=grid_to_confirm)
    db.add(NeedSubmission(client_address=address, submitted_at=now, need_id=need.id))
    db.flush()
    return need


def count_in(db: Session, key: str, *, limit: int, window: timedelta) -> datetime:
    """Take the key's lock, forget expired rows and raise TooManySubmissions when the key is at its limit
    (also for other public forms' per-address limits: accounts/registration_limit.py)."""
    _lock(db, key)
    now = utcnow()
    db.execute(sa.delete(NeedSubmission).where(NeedSubmission.submitted_at < now - KEEP_FOR))  # type: ignore[arg-type]
    _check_limit(db, key, now, limit=limit, window=window)
    return now


def count_lookup(db: Session, address: str | None, *, limit: int, window: timedelta) -> None:
    """Count one tracking lookup from ``address``, or raise TooManySubmissions (nothing counted) at the limit.

    The caller commits, whatever the lookup finds, so a wrong guess uses up the allowance too.
    """
    key = ("track:" + (address or "unknown"))[:64]
    now = count_in(db, key, limit=limit, window=window)
    db.add(NeedSubmission(client_address=key, submitted_at=now, need_id=None))
    db.flush()


def reference_number(need_id: int) -> str:
    """What the resident quotes when asking after the need (the street's staff find it by the id)."""
    return f"XQ-{need_id:06d}"
