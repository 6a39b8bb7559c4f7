"""Digests: notifications with the same ``digest_key`` on the same street-local day show as one entry."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles

STREET_TIMEZONE = ZoneInfo("Asia/Shanghai")
# Asia/Shanghai keeps no daylight saving time, so the street's day is UTC shifted by eight hours.
STREET_OFFSET_HOURS = 8


def street_day(moment: datetime) -> date:
    """The date of ``moment`` on the street's clock."""
    return moment.astimezone(STREET_TIMEZONE).date()


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start (inclusive) and end (exclusive) of a street-local day."""
    start = datetime.combine(day, time(0), tzinfo=STREET_TIMEZONE).astimezone(UTC)
    return start, start + timedelta(days=1)


def digest_key_for(kind: str, subject_type: str, subject_id: int, day: date | None = None) -> str:
    """The key that groups one kind of news about one object: "signup_confirmed:need:12".

    The centre groups by key *and* street-local day already; ``day`` is accepted for callers that want
    the date in the key too (the seed data does), and is then appended.
    """
    key = f"{kind}:{subject_type}:{subject_id}"
    return f"{key}:{day.isoformat()}" if day else key


def local_day_expression(column: Any, dialect_name: str) -> Any:
    """SQL for the street-local date of a UTC timestamp column, as text "YYYY-MM-DD" on both databases."""
    if dialect_name == "sqlite":
        return sa.func.date(column, f"+{STREET_OFFSET_HOURS} hours")
    return sa.func.to_char(sa.func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")


class _StreetDay(sa.sql.functions.FunctionElement[str]):
    """``local_day_expression`` that needs no dialect at build time: compiled for whichever database runs it."""

    type = sa.String()
    inherit_cache = True
    name = "street_day"


@compiles(_StreetDay, "sqlite")
def _street_day_sqlite(element: _StreetDay, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(local_day_expression(column, "sqlite"), **kw)  # type: ignore[no-any-return]


@compiles(_StreetDay)
def _street_day_other(element: _StreetDay, compiler: Any, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(local_day_expression(column, "postgresql"), **kw)  # type: ignore[no-any-return]


def group_expression(key: Any, created_at: Any) -> Any:
    """One text per centre entry: the digest key and the street-local day, as the centre groups them.

    ``COUNT(DISTINCT group_expression(...))`` counts entries (the badge), whichever database runs it.
    """
    return sa.type_coerce(key, sa.String()) + " " + _StreetDay(created_at)
