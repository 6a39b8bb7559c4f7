"""Needs collected per month and how many of them are solved by now: the figures' trend, in one query.

A month's completion rate is over the needs collected in it (a cohort): of the 3 needs collected in
June, 2 are solved, 67%. So the rate never passes 100% and an old month's rate still rises when one of
its needs is closed late. Months are the street's (Asia/Shanghai), the last twelve up to today.
"""

from datetime import date

import sqlalchemy as sa
from msgspec import Struct
from sqlmodel import Session

from marketplace.dashboard.figures import MONTHS_SHOWN, _counted, _dialect, _months_back, _solved_count, street_month
from marketplace.needs.models import Need
from marketplace.places.services import grid_in_street


class MonthNeeds(Struct):
    month: str  # "2026-06", street-local
    collected: int
    solved: int

    @property
    def completion_rate(self) -> float | None:
        return self.solved / self.collected if self.collected else None


def needs_by_month(
    session: Session, street_id: int | None, today: date, months: int = MONTHS_SHOWN
) -> list[MonthNeeds]:
    """The last ``months`` months, oldest first, each with its needs collected and solved (zeros included)."""
    shown = _months_back(today, months)
    month = street_month(Need.created_at, _dialect(session))
    statement = (
        sa.select(month, sa.func.count(Need.id), _solved_count())
        .where(_counted(), grid_in_street(street_id, Need.grid_id), month >= shown[0], month <= shown[-1])
        .group_by(month)
    )
    counts = {key: (int(collected), int(solved)) for key, collected, solved in session.execute(statement)}
    return [MonthNeeds(key, *counts.get(key, (0, 0))) for key in shown]
