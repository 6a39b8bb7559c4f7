"""Volunteer hours: the one definition every page, export, API and figure uses.

* **Hours credited** are the sum of ``hours_credited`` over a volunteer's *completed* sign-ups (checked
  out). Each sign-up's hours follow ``credit_for``: the whole minutes between check-in and check-out that
  fall within the shift's window, rounded to the nearest quarter hour; so a stay of 8 minutes or more
  credits at least 0.25 h, and less than 8 minutes credits 0 h (and says so).
* **Hours recorded before the platform** are what the street's paper ledger brought along when the
  volunteer's record was carried over (the seeds do this for long-standing volunteers). They live in
  ``volunteer_profile.hours_total``, which holds the all-time figure: the earlier hours plus every
  credit (check-out adds to it atomically). The earlier part is therefore ``hours_total - credited``,
  never below zero, and is always shown under its own label, never mixed into "credited".
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.needs.models import Shift
from marketplace.street_clock import day_start
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile

QUARTER = Decimal("0.25")
QUARTER_MINUTES = 15
# With whole minutes rounded to the nearest quarter hour, 8 minutes is the shortest stay that counts.
SHORTEST_CREDITED_MINUTES = 8
ZERO = Decimal(0)

# The rule, as the pages write it where hours show.
RULE = N_(
    "Hours credited = the time between check-in and check-out that falls within the shift's hours, rounded "
    "to the nearest quarter hour. A stay of 8 minutes or more counts at least 0.25 h; less than 8 minutes "
    "counts 0 h. Time before the start or after the end of the shift is not counted."
)
BEFORE_PLATFORM_NOTE = N_(
    "Hours recorded before the platform come from the street's earlier paper records; they are shown "
    "separately and are not part of the hours credited here."
)


def notes() -> dict[str, str]:
    """The rule and the note on earlier records, in the reader's language, for the pages where hours show."""
    return {"hours_rule": _(RULE), "before_platform_note": _(BEFORE_PLATFORM_NOTE)}


@dataclass(frozen=True)
class Credit:
    """What one check-out credits, and why."""

    hours: Decimal
    minutes: int  # whole minutes present within the shift's window
    counted_from: datetime | None
    counted_to: datetime | None

    @property
    def too_short(self) -> bool:
        """Present (or not at all) for less than the 8 minutes that earn a quarter hour."""
        return self.hours == ZERO


def credit_for(starts_at: datetime, ends_at: datetime, checked_in: datetime, checked_out: datetime) -> Credit:
    """The hours a stay from ``checked_in`` to ``checked_out`` earns on a shift from ``starts_at`` to ``ends_at``."""
    counted_from, counted_to = max(checked_in, starts_at), min(checked_out, ends_at)
    if counted_to <= counted_from:
        return Credit(ZERO, 0, None, None)
    minutes = int((counted_to - counted_from).total_seconds() // 60)
    quarters = (Decimal(minutes) / QUARTER_MINUTES).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return Credit(quarters * QUARTER, minutes, counted_from, counted_to)


def credit_of(signup: ShiftSignup, shift: Shift) -> Credit | None:
    """The credit a completed sign-up earned, recomputed from its stored times (None if never checked out)."""
    if signup.checked_in_at is None or signup.checked_out_at is None:
        return None
    return credit_for(shift.starts_at, shift.ends_at, signup.checked_in_at, signup.checked_out_at)


# --- totals ----------------------------------------------------------------------------------------------


def is_credited() -> Any:
    """SQL: a sign-up whose hours count (checked out)."""
    return ShiftSignup.status == SignupStatus.COMPLETED


def credited_sum() -> Any:
    """SQL: the hours credited over the selected sign-ups (0 when none)."""
    return sa.func.coalesce(sa.func.sum(ShiftSignup.hours_credited), 0)


@dataclass(frozen=True)
class VolunteerHours:
    """One volunteer's hours, each part under its own name."""

    credited: Decimal  # on the platform: completed sign-ups
    shifts: int  # completed sign-ups
    before_platform: Decimal  # carried over from the paper records

    @property
    def all_time(self) -> Decimal:
        return self.credited + self.before_platform


def before_platform(hours_total: Decimal, credited: Decimal) -> Decimal:
    return max(ZERO, Decimal(hours_total) - Decimal(credited))


def hours_of(db: Session, profiles: Iterable[VolunteerProfile]) -> dict[int, VolunteerHours]:
    """Hours of several volunteers by profile id, in one query."""
    profiles = list(profiles)
    ids = [profile.id for profile in profiles if profile.id is not None]
    found: dict[int, tuple[Decimal, int]] = {}
    if ids:
        rows = db.execute(
            sa.select(ShiftSignup.volunteer_id, credited_sum(), sa.func.count(ShiftSignup.id))
            .where(is_credited(), ShiftSignup.volunteer_id.in_(ids))  # type: ignore[attr-defined]
            .group_by(ShiftSignup.volunteer_id)
        ).all()
        found = {volunteer_id: (Decimal(hours), int(count)) for volunteer_id, hours, count in rows}
    result = {}
    for profile in profiles:
        assert profile.id is not None
        credited, shifts = found.get(profile.id, (ZERO, 0))
        result[profile.id] = VolunteerHours(credited, shifts, before_platform(profile.hours_total, credited))
    return result


@dataclass(frozen=True)
class StreetHours:
    """The street's volunteer hours: credited (all time and this street year) and before the platform."""

    credited: Decimal
    credited_this_year: Decimal
    year: int
    before_platform: Decimal

    @property
    def all_time(self) -> Decimal:
        return self.credited + self.before_platform


def street_hours(
    db: Session,
    today: date,
    *,
    signups: sa.ColumnElement[bool] | None = None,
    volunteers: sa.ColumnElement[bool] | None = None,
) -> StreetHours:
    """Totals over every volunteer, in one statement; the year is the street year of ``today`` by shift start.

    ``signups`` and ``volunteers`` keep the rows to one street (its needs' sign-ups, the volunteers living
    there): the definitions stay these, so the streets' hours add up to the deployment's."""
    signups = sa.true() if signups is None else signups
    volunteers = sa.true() if volunteers is None else volunteers
    per_volunteer = (
        sa.select(ShiftSignup.volunteer_id.label("volunteer_id"), credited_sum().label("credited"))  # type: ignore[attr-defined]
        .where(is_credited())
        .group_by(ShiftSignup.volunteer_id)
        .subquery()
    )
    credited = sa.func.coalesce(per_volunteer.c.credited, 0)
    earlier = (
        sa.select(
            sa.func.coalesce(
                sa.func.sum(
                    sa.case((VolunteerProfile.hours_total > credited, VolunteerProfile.hours_total - credited), else_=0)
                ),
                0,
            )
        )
        .select_from(VolunteerProfile)
        .outerjoin(per_volunteer, per_volunteer.c.volunteer_id == VolunteerProfile.id)
        .where(volunteers)
        .scalar_subquery()
    )
    total = sa.select(credited_sum()).where(is_credited(), signups).scalar_subquery()
    year_start, next_year = day_start(date(today.year, 1, 1)), day_start(date(today.year + 1, 1, 1))
    this_year = (
        sa.select(credited_sum())
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(is_credited(), signups, Shift.starts_at >= year_start, Shift.starts_at < next_year)  # type: ignore[operator]
        .scalar_subquery()
    )
    all_credited, year_credited, before = db.execute(sa.select(total, this_year, earlier)).one()
    return StreetHours(Decimal(all_credited), Decimal(year_credited), today.year, Decimal(before))
