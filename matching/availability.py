"""Weekly availability as a bitmap of half-hour blocks, so overlap with a shift is one matrix product."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from scipy import sparse

from matching.records import Volunteer, WeeklyWindow

BLOCK_MINUTES = 30
BLOCKS_PER_DAY = 24 * 60 // BLOCK_MINUTES
BLOCKS_PER_WEEK = 7 * BLOCKS_PER_DAY
STREET_TIMEZONE = ZoneInfo("Asia/Shanghai")


def street_day_end(day: date, tz: ZoneInfo = STREET_TIMEZONE) -> datetime:
    """The instant a street day ends, exclusive: the next day's midnight on the street's clock.

    Due dates are street days (Asia/Shanghai), and the app stores the end of an offer's last day as
    this same instant (``marketplace.street_clock.day_end``), so an offer valid through the due day
    covers all of it. Every place the library turns a date into an instant uses this.
    """
    if day == date.max:  # no day follows: the end of time
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time.min, tz)


def street_week(moment: datetime, tz: ZoneInfo = STREET_TIMEZONE) -> date:
    """The Monday (a street day) of the week ``moment`` falls in on the street's clock: the week a
    volunteer's weekly hours are counted in (``Volunteer.hours_by_week``)."""
    day = moment.astimezone(tz).date()
    return day - timedelta(days=day.weekday())


def hours_left_in_week(volunteer: Volunteer, moment: datetime) -> float:
    """The hours the volunteer may still take on in the street week of ``moment``: their weekly cap less
    what they hold that week (``hours_by_week`` when the record has weeks, else ``hours_this_week``)."""
    held = (
        volunteer.hours_by_week.get(street_week(moment), 0.0) if volunteer.hours_by_week else volunteer.hours_this_week
    )
    return max(volunteer.weekly_hour_cap - held, 0.0)


def window_blocks(window: WeeklyWindow) -> range:
    start = window.weekday * BLOCKS_PER_DAY + window.start_minute // BLOCK_MINUTES
    end = window.weekday * BLOCKS_PER_DAY + -(-window.end_minute // BLOCK_MINUTES)
    return range(start, end)


def availability_matrix(availabilities: list[tuple[WeeklyWindow, ...]]) -> sparse.csr_matrix:
    """One row per volunteer, one column per half-hour of the week; 1 where they are available."""
    rows: list[int] = []
    columns: list[int] = []
    for row, windows in enumerate(availabilities):
        blocks = {block for window in windows for block in window_blocks(window)}
        rows.extend([row] * len(blocks))
        columns.extend(blocks)
    data = np.ones(len(rows), dtype=np.float32)
    return sparse.csr_matrix((data, (rows, columns)), shape=(len(availabilities), BLOCKS_PER_WEEK))


def shift_blocks(starts_at: datetime, ends_at: datetime, tz: ZoneInfo = STREET_TIMEZONE) -> np.ndarray:
    """The half-hour blocks of the week a shift occupies, in the street's local time."""
    start = starts_at.astimezone(tz)
    end = ends_at.astimezone(tz)
    blocks: list[int] = []
    moment = start.replace(minute=start.minute - start.minute % BLOCK_MINUTES, second=0, microsecond=0)
    while moment < end and len(blocks) < BLOCKS_PER_WEEK:
        blocks.append(moment.weekday() * BLOCKS_PER_DAY + (moment.hour * 60 + moment.minute) // BLOCK_MINUTES)
        moment += timedelta(minutes=BLOCK_MINUTES)
    return np.asarray(sorted(set(blocks)), dtype=np.int64)
