"""The street's calendar: which day an instant falls on in Qingdao, and which instants a street day spans.

Instants are stored in UTC; people think in street days (Asia/Shanghai). A window that ends "on
2027-06-30" is stored as the instant that day ends, 2027-07-01 00:00 in Qingdao (exclusive), so the
offer is valid for all of the 30th. ``day_end`` and ``last_day`` are the pair that turns a street day
into that stored instant and back; forms, the API, imports, pages and exports all use them, so a
day typed in comes back out as the same day.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STREET_TIMEZONE = ZoneInfo("Asia/Shanghai")
_ONE_DAY = timedelta(days=1)
# The smallest step of a stored instant: one before an exclusive end is still inside the window.
_TICK = timedelta(microseconds=1)


# The calendar's edges on the street's clock, for instants too close to them to convert.
_LATEST = datetime.max.replace(tzinfo=STREET_TIMEZONE)
_EARLIEST = datetime.min.replace(tzinfo=STREET_TIMEZONE)


def street_time(moment: datetime) -> datetime:
    """An instant on the street's clock; every page and export converts through here.

    Input is held to the years 2000..2100 (``marketplace.validation``), but a row written before that
    rule or by hand may hold 9999-12-31 23:59 UTC, which is past year 9999 in Qingdao: such an instant
    shows as the calendar's last (or first) moment instead of breaking the page for everyone.
    """
    try:
        return moment.astimezone(STREET_TIMEZONE)
    except OverflowError:
        return _LATEST if moment.year > 5000 else _EARLIEST


def street_day(moment: datetime) -> date:
    """The street-local date of an instant."""
    return street_time(moment).date()


def street_today(now: datetime | None = None) -> date:
    return street_day(now or datetime.now(UTC))


def day_start(day: date) -> datetime:
    """The instant (UTC) a street day begins: 2027-06-30 → 2027-06-29 16:00 UTC."""
    try:
        return datetime.combine(day, time.min, tzinfo=STREET_TIMEZONE).astimezone(UTC)
    except OverflowError:  # 0001-01-01 begins before year 1 in UTC: the input rules refuse what comes back
        return datetime.min.replace(tzinfo=UTC)


def day_end(day: date) -> datetime:
    """The instant (UTC) a street day ends, exclusive: 2027-06-30 → 2027-06-30 16:00 UTC."""
    if day == date.max:  # no day follows 9999-12-31: the input rules refuse what comes back
        return datetime.max.replace(tzinfo=UTC)
    return day_start(day + _ONE_DAY)


def last_day(end: datetime) -> date:
    """The last street day a window with this exclusive end covers: ``last_day(day_end(d)) == d``."""
    return street_day(end - _TICK) if end.replace(tzinfo=None) > datetime.min else street_day(end)


def parse_day(text: str) -> date | None:
    """A street day typed as YYYY-MM-DD; None when it is not one."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return None
