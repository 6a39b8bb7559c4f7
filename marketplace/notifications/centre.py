"""The notification centre: one user's notifications, grouped into digests, and marking them read.

Every query is scoped to the reader (``user_id = :me``); nothing here can see or change anyone else's rows.
A row that asked its reader to act about something that no longer waits for them (``waiting.py``) is read
as handled: not unread, whatever its ``read_at``; this is decided in the statements that read the rows.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.notifications.digest import day_bounds, group_expression, local_day_expression, street_day
from marketplace.notifications.models import Notification
from marketplace.notifications.waiting import no_longer_waiting, waiting_unread

PAGE_SIZE = 20
# A digest lists at most this many of its notifications (the count says how many there are).
DIGEST_MEMBERS_SHOWN = 50


@dataclass
class Digest:
    """Notifications of one key on one street-local day; ``latest`` is the newest of them."""

    digest_key: str
    day: date
    count: int
    unread: int
    latest_at: datetime
    latest: Notification
    subjects: int = 1  # distinct objects the digest is about (seeded keys group a whole day of one kind)
    members: list[Notification] = field(default_factory=list)
    ended: int = 0  # notifications that asked the reader to act about something no longer waiting for them
    ended_ids: set[int] = field(default_factory=set)  # those of them among ``latest`` and ``members``

    @property
    def waiting(self) -> int:
        """The notifications that still apply."""
        return self.count - self.ended


@dataclass
class CentrePage:
    digests: list[Digest]
    page: int
    pages: int
    total_digests: int
    unread_total: int  # unread notifications (that still apply)
    unread_entries: int = 0  # entries holding any of them (the badge)


def _mine(user_id: int, unread_only: bool) -> list[Any]:
    conditions = [Notification.user_id == user_id]
    if unread_only:
        conditions.append(waiting_unread())
    return conditions


def unread_count(session: Session, user_id: int) -> int:
    """How many of the user's notifications are unread (rows; the badge counts entries, ``unread_entries``)."""
    return int(
        session.execute(
            sa.select(sa.func.count(Notification.id)).where(Notification.user_id == user_id, waiting_unread())
        ).scalar_one()
    )


def unread_entries(session: Session, user_id: int) -> int:
    """The badge: how many entries of the centre hold something unread (a round's 45 proposals are one)."""
    return int(session.execute(sa.select(unread_count_of(user_id))).scalar_one())


def unread_count_of(user_id: Any) -> Any:
    """The badge's COUNT as a scalar subquery, for a user id or a column (the login check embeds it).

    It counts entries, not rows: the unread notifications' distinct (digest key, street day), which is
    how the centre groups them, so the badge says 1 where the centre shows one entry "45 proposals ...".
    A notification whose subject no longer waits for the reader is not counted (``waiting_unread``).
    """
    return (
        sa.select(sa.func.count(sa.distinct(group_expression(Notification.digest_key, Notification.created_at))))
        .where(Notification.user_id == user_id, waiting_unread())
        .scalar_subquery()
    )


def centre_page(session: Session, user_id: int, *, unread_only: bool = False, page: int = 1) -> CentrePage:
    """One page of digests, newest first; grouping and counting happen in SQL."""
    dialect = session.get_bind().dialect.name
    day = local_day_expression(Notification.created_at, dialect).label("day")
    conditions = _mine(user_id, unread_only)
    unread = sa.func.coalesce(sa.func.sum(sa.case((waiting_unread(), 1), else_=0)), 0)
    ended = sa.func.coalesce(sa.func.sum(sa.case((no_longer_waiting(), 1), else_=0)), 0)
    groups = (
        sa.select(
            Notification.digest_key,
            day,
            sa.func.count(Notification.id).label("n"),
            unread.label("unread"),
            sa.func.max(Notification.id).label("latest_id"),
            sa.func.count(sa.distinct(Notification.subject_id)).label("subjects"),
            ended.label("ended"),
        )
        .where(*conditions)
        .group_by(Notification.digest_key, day)
        .subquery()
    )
    total = int(session.execute(sa.select(sa.func.count()).select_from(groups)).scalar_one())
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    # Ids grow with time, so the newest notification of a group is its largest id.
    rows = session.execute(
        sa.select(
            groups.c.digest_key,
            groups.c.day,
            groups.c.n,
            groups.c.unread,
            groups.c.latest_id,
            groups.c.subjects,
            groups.c.ended,
        )
        .order_by(groups.c.latest_id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    digests: list[Digest] = []
    if rows:
        latest: dict[int | None, Notification] = {}
        ended_ids: set[int] = set()
        for row, row_ended in session.execute(
            sa.select(Notification, no_longer_waiting().label("ended")).where(
                Notification.id.in_([r.latest_id for r in rows])  # type: ignore[union-attr]
            )
        ).all():
            latest[row.id] = row
            if row_ended:
                ended_ids.add(row.id or 0)
        for key, day_text, count, unread_n, latest_id, subjects, ended_n in rows:
            newest = latest[latest_id]
            digests.append(
                Digest(
                    digest_key=key,
                    day=date.fromisoformat(str(day_text)),
                    count=int(count),
                    unread=int(unread_n),
                    latest_at=newest.created_at,
                    latest=newest,
                    subjects=int(subjects),
                    ended=int(ended_n),
                    ended_ids={latest_id} & ended_ids,
                )
            )
        _load_members(session, user_id, digests, unread_only)
    # Both counts in one statement: the notifications unread, and the entries holding them.
    unread_rows, unread_groups = session.execute(
        sa.select(
            sa.func.count(Notification.id),
            sa.func.count(sa.distinct(group_expression(Notification.digest_key, Notification.created_at))),
        ).where(*_mine(user_id, True))
    ).one()
    return CentrePage(
        digests=digests,
        page=page,
        pages=pages,
        total_digests=total,
        unread_total=int(unread_rows),
        unread_entries=int(unread_groups),
    )


def _load_members(session: Session, user_id: int, digests: list[Digest], unread_only: bool) -> None:
    """The notifications of each digest that has more than one (at most ``DIGEST_MEMBERS_SHOWN`` each).

    One statement for the whole page: each digest's rows are numbered newest first, per key and day.
    """
    several = [digest for digest in digests if digest.count > 1]
    for digest in digests:
        digest.members = [digest.latest]
    if not several:
        return
    dialect = session.get_bind().dialect.name
    day = local_day_expression(Notification.created_at, dialect)
    within = []
    for digest in several:
        start, end = day_bounds(digest.day)
        within.append(
            sa.and_(
                Notification.digest_key == digest.digest_key,
                Notification.created_at >= start,
                Notification.created_at < end,
            )
        )
    ranked = (
        sa.select(
            Notification.id,
            day.label("day"),
            sa.func.row_number()
            .over(partition_by=(Notification.digest_key, day), order_by=Notification.id.desc())  # type: ignore[union-attr]
            .label("rank"),
        )
        .where(*_mine(user_id, unread_only), sa.or_(*within))
        .subquery()
    )
    rows = session.execute(
        sa.select(Notification, ranked.c.day, no_longer_waiting().label("ended"))
        .join(ranked, ranked.c.id == Notification.id)
        .where(ranked.c.rank <= DIGEST_MEMBERS_SHOWN)
        .order_by(Notification.id.desc())  # type: ignore[union-attr]
    ).all()
    members: dict[tuple[str, str], list[Notification]] = {}
    ended: set[int] = set()
    for row, row_day, row_ended in rows:
        members.setdefault((row.digest_key, str(row_day)), []).append(row)
        if row_ended:
            ended.add(row.id or 0)
    for digest in several:
        digest.members = members.get((digest.digest_key, digest.day.isoformat()), [digest.latest])
        digest.ended_ids |= {row.id or 0 for row in digest.members} & ended


def mark_read(
    db: Session,
    user_id: int,
    *,
    ids: list[int] | None = None,
    digest_key: str | None = None,
    day: date | None = None,
    everything: bool = False,
) -> int:
    """Mark the reader's own unread notifications read; returns how many rows changed (others' rows: never)."""
    conditions: list[Any] = [Notification.user_id == user_id, Notification.read_at.is_(None)]  # type: ignore[union-attr]
    if everything:
        pass
    elif ids:
        conditions.append(Notification.id.in_(ids))  # type: ignore[union-attr]
    elif digest_key is not None and day is not None:
        start, end = day_bounds(day)
        conditions += [
            Notification.digest_key == digest_key,
            Notification.created_at >= start,
            Notification.created_at < end,
        ]
    else:
        return 0
    result = db.execute(sa.update(Notification).where(*conditions).values(read_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


__all__ = [
    "CentrePage",
    "Digest",
    "centre_page",
    "mark_read",
    "street_day",
    "unread_count",
    "unread_count_of",
    "unread_entries",
]
