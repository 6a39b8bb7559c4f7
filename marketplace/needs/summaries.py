"""Counts of the need list for the home pages: open escalation steps by age, and the shifts of a street day.

Each count uses the same conditions as the list it links to (the escalations page, the need list), so a
number on a home page is the number of rows that list shows.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.needs.escalation import CLOSED
from marketplace.needs.models import Escalation, Need, NeedStatus, Shift
from marketplace.needs.services import grids_in_scope
from marketplace.security.identity import CurrentUser


@dataclass(frozen=True)
class EscalationCounts:
    """Open steps of still-open escalated needs (what /escalations lists), by when they were opened."""

    total: int = 0
    waiting: int = 0  # nobody acknowledged (报到) yet: /escalations?waiting=true
    overdue: int = 0  # waiting past the step's deadline
    today: int = 0
    recent: int = 0  # opened one to three street days ago
    older: int = 0


def _count_when(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def escalation_counts(
    db: Session, viewer: CurrentUser, *, now: datetime, today_starts: datetime, recent_starts: datetime
) -> EscalationCounts:
    """One query: the open steps the viewer may see, as the escalations page selects them."""
    waiting = Escalation.acknowledged_at.is_(None)  # type: ignore[union-attr]
    opened = Escalation.opened_at
    row = db.execute(
        sa.select(
            sa.func.count(),
            _count_when(waiting),
            _count_when(sa.and_(waiting, Escalation.deadline_at < now)),  # type: ignore[arg-type]
            _count_when(opened >= today_starts),  # type: ignore[operator]
            _count_when(sa.and_(opened >= recent_starts, opened < today_starts)),  # type: ignore[operator]
            _count_when(opened < recent_starts),  # type: ignore[operator]
        )
        .select_from(Escalation)
        .join(Need, Need.id == Escalation.need_id)  # type: ignore[arg-type]
        .where(
            Escalation.resolved_at.is_(None),  # type: ignore[union-attr]
            Need.status.not_in(CLOSED),  # type: ignore[attr-defined]
            grids_in_scope(viewer),
        )
    ).one()
    return EscalationCounts(*(int(value) for value in row))


@dataclass(frozen=True)
class DayShift:
    """A shift of the day with the need it belongs to (no beneficiary data)."""

    shift_id: int
    need_id: int
    need_title: str
    title: str
    location: str
    starts_at: datetime
    ends_at: datetime
    slots: int
    confirmed: int


def shifts_between(db: Session, viewer: CurrentUser, starts: datetime, ends: datetime) -> list[DayShift]:
    """The shifts not cancelled that start in [starts, ends) in the grids the viewer works in, soonest first."""
    rows: Any = db.execute(
        sa.select(
            Shift.id,
            Shift.need_id,
            Need.title,
            Shift.title,
            Shift.location,
            Shift.starts_at,
            Shift.ends_at,
            Shift.slots,
            Shift.confirmed_count,
        )
        .join(Need, Need.id == Shift.need_id)  # type: ignore[arg-type]
        .where(
            grids_in_scope(viewer),
            Shift.cancelled_at.is_(None),  # type: ignore[union-attr]
            Shift.starts_at >= starts,  # type: ignore[operator]
            Shift.starts_at < ends,  # type: ignore[operator]
            Need.status.not_in((NeedStatus.REJECTED, NeedStatus.CANCELLED)),  # type: ignore[attr-defined]
        )
        .order_by(Shift.starts_at, Shift.id)  # type: ignore[arg-type]
    ).all()
    return [DayShift(*row) for row in rows]
