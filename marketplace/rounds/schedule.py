"""A street's standing order for matching rounds: on chosen weekdays at a time on the street's clock.

A street admin (or a city admin, for any street) sets it on the rounds page or through the API; the
scheduled sweep ``rounds.schedule`` (every 15 minutes by default, ``MARKETPLACE_SCHEDULE``) starts each
street's due round, queued as any round is, marked as started by the schedule. A slot is claimed by a
conditional update of ``last_slot`` (it only moves forward), so two processes sweeping the same minute
start one round. Saving a schedule claims the slots already past, so a new or changed schedule starts its
first round at its next time, not at once. A slot missed while no process swept (a stopped server) is
started when the next sweep runs, the latest only. A slot that finds the street's round still live is
claimed and left: the running round already plans what is open.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.audit.services import record
from marketplace.db.types import utcnow
from marketplace.i18n import gettext as _
from marketplace.rounds import services
from marketplace.rounds.models import EVERY_WEEKDAY, WEEKDAY_BITS, RoundMethod, RoundSchedule
from marketplace.street_clock import STREET_TIMEZONE, street_time
from marketplace.whole_numbers import whole_number

_table = RoundSchedule.__table__  # type: ignore[attr-defined]
# "9:05" or "09:05": ASCII digits only, read by whole_number.
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
# Weekday codes of the form and the API, Monday first (datetime.weekday()).
WEEKDAY_CODES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ScheduleChoice:
    """What an admin asks for: validated, ready to save."""

    enabled: bool
    weekdays: int
    at_minute: int
    method: RoundMethod
    k: int


class ScheduleProblem(ValueError):
    """A field of the schedule is wrong; ``field`` names it and the message says why."""

    def __init__(self, field: str, code: str, message: str) -> None:
        super().__init__(message)
        self.field, self.code, self.message = field, code, message


def weekday_bits(codes: list[str]) -> int:
    """["mon", "thu"] → the bits of those days; ScheduleProblem naming ``weekdays`` for an unknown code."""
    bits = 0
    for code in codes:
        if code not in WEEKDAY_CODES:
            raise ScheduleProblem(
                "weekdays", "unknown_weekday", _("“%(code)s” is not a day of the week.") % {"code": code[:16]}
            )
        bits |= WEEKDAY_BITS[WEEKDAY_CODES.index(code)]
    return bits


def weekday_codes(bits: int) -> list[str]:
    return [code for code, bit in zip(WEEKDAY_CODES, WEEKDAY_BITS, strict=True) if bits & bit]


def minute_of_day(text: str) -> int:
    """ "09:30" → 570; ScheduleProblem naming ``at`` otherwise."""
    found = _CLOCK.fullmatch(text.strip())
    hour = whole_number(found.group(1), minimum=0, maximum=23) if found else None
    minute = whole_number(found.group(2), minimum=0, maximum=59) if found else None
    if hour is not None and minute is not None:
        return hour * 60 + minute
    raise ScheduleProblem("at", "not_a_time", _("Enter a time of day as hours and minutes, for example 09:00."))


def clock_text(at_minute: int) -> str:
    return f"{at_minute // 60:02d}:{at_minute % 60:02d}"


def choice(enabled: bool, weekdays: int, at_minute: int, method: RoundMethod, k: int) -> ScheduleChoice:
    if enabled and not weekdays & EVERY_WEEKDAY:
        raise ScheduleProblem("weekdays", "no_weekday", _("Choose at least one day for the rounds to run."))
    if not 1 <= k <= services.MAX_K:
        raise ScheduleProblem(
            "k", "k_out_of_range", _("Enter a whole number from 1 to %(max)d.") % {"max": services.MAX_K}
        )
    return ScheduleChoice(enabled, weekdays & EVERY_WEEKDAY, at_minute, method, k)


def _due_times(weekdays: int, at_minute: int, local_now: datetime, step: int) -> Iterator[datetime]:
    """The schedule's times on the chosen days from today, one day at a time (``step`` -1 back, +1 ahead)."""
    for days in range(8):
        day = (local_now + timedelta(days=step * days)).date()
        if weekdays & WEEKDAY_BITS[day.weekday()]:
            yield datetime(day.year, day.month, day.day, at_minute // 60, at_minute % 60, tzinfo=STREET_TIMEZONE)


def latest_slot(weekdays: int, at_minute: int, now: datetime) -> datetime | None:
    """The last time at or before ``now`` that the schedule fell due (UTC); None without a weekday."""
    local_now = street_time(now)
    due = next((due for due in _due_times(weekdays, at_minute, local_now, -1) if due <= local_now), None)
    return due.astimezone(UTC) if due is not None else None


def next_slot(weekdays: int, at_minute: int, now: datetime) -> datetime | None:
    """The next time after ``now`` the schedule falls due (UTC); None without a weekday."""
    local_now = street_time(now)
    due = next((due for due in _due_times(weekdays, at_minute, local_now, 1) if due > local_now), None)
    return due.astimezone(UTC) if due is not None else None


def _audited(row: RoundSchedule) -> dict[str, object]:
    """The schedule as the audit log shows it: days by their codes and the time as HH:MM, not bits and minutes."""
    return {
        "street_id": row.street_id,
        "enabled": row.enabled,
        "weekdays": weekday_codes(row.weekdays),
        "at": clock_text(row.at_minute),
        "method": row.method.value,
        "k": row.k,
    }


def of_street(db: Session, street_id: int) -> RoundSchedule | None:
    return db.get(RoundSchedule, street_id)


def of_streets(db: Session, street_ids: list[int]) -> dict[int, RoundSchedule]:
    if not street_ids:
        return {}
    rows = db.execute(sa.select(RoundSchedule).where(RoundSchedule.street_id.in_(street_ids))).scalars()  # type: ignore[attr-defined]
    return {row.street_id: row for row in rows}


def save(
    db: Session, street_id: int, wanted: ScheduleChoice, *, actor_id: int | None, actor_role: str | None
) -> RoundSchedule:
    """Set the street's schedule; the slots already past are claimed, so the first round runs at the next."""
    now = utcnow()
    row = db.get(RoundSchedule, street_id, with_for_update=True)
    before = _audited(row) if row is not None else None
    if row is None:
        row = RoundSchedule(street_id=street_id)
    row.enabled, row.weekdays, row.at_minute = wanted.enabled, wanted.weekdays, wanted.at_minute
    row.method, row.k = wanted.method, wanted.k
    past = latest_slot(wanted.weekdays, wanted.at_minute, now) if wanted.enabled else None
    if past is not None and (row.last_slot is None or row.last_slot < past):
        row.last_slot = past
    row.updated_by_id, row.updated_at = actor_id, now
    db.add(row)
    db.flush()
    record(
        db,
        "round_schedule.update",
        object_type="round_schedule",
        object_id=street_id,
        before=before,
        after=_audited(row),
        actor_id=actor_id,
        actor_role=actor_role,
    )
    return row


@dataclass(frozen=True)
class Started:
    street_id: int
    slot: datetime
    round_id: int | None  # None: the street's round was still live, the slot was left


def _claim(db: Session, street_id: int, slot: datetime) -> bool:
    """Move the street's ``last_slot`` to ``slot`` if no one has: True for the one sweep that did."""
    result = db.execute(
        _table.update()
        .where(
            _table.c.street_id == street_id,
            _table.c.enabled.is_(True),
            sa.or_(_table.c.last_slot.is_(None), _table.c.last_slot < slot),
        )
        .values(last_slot=slot)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def start_due(db: Session, now: datetime | None = None) -> list[Started]:
    """Start every street's due round (queued, its job not yet made): claim each due slot, start the round.
    The caller makes the rounds' jobs in the same transaction and commits before handing them over."""
    now = now or utcnow()
    started: list[Started] = []
    rows = db.execute(sa.select(RoundSchedule).where(RoundSchedule.enabled.is_(True))).scalars().all()  # type: ignore[attr-defined]
    for row in rows:
        slot = latest_slot(row.weekdays, row.at_minute, now)
        if slot is None or (row.last_slot is not None and row.last_slot >= slot):
            continue
        if not _claim(db, row.street_id, slot):
            continue  # another sweep took it
        try:
            with db.begin_nested():
                round_row = services.start(
                    db,
                    method=row.method,
                    k=row.k,
                    started_by_id=None,
                    actor_role="system",
                    street_id=row.street_id,
                    scheduled=True,
                )
        except services.RoundBusy:
            started.append(Started(row.street_id, slot, None))
            continue
        _remember_round(db, row.street_id, round_row.id)
        started.append(Started(row.street_id, slot, round_row.id))
    return started


def _remember_round(db: Session, street_id: int, round_id: int | None) -> None:
    db.execute(
        _table.update()
        .where(_table.c.street_id == street_id)
        .values(last_round_id=round_id)
        .execution_options(synchronize_session=False)
    )
