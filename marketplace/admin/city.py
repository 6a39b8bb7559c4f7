"""The city page's numbers: every street's figures side by side, each column one GROUP BY over the streets.

A street's row counts what the street's own figures (marketplace.dashboard.figures, ``street=<code>``)
count, by the same definitions: needs through their grid (merged duplicates once), partners where they
registered, volunteers where they live, hours credited where the shift's need is plus the earlier paper
records of the volunteers living there. Six statements however many streets: 100 streets cost what 2 do.

Overdue: a need not yet solved, rejected or cancelled whose due date has passed (street calendar).
Escalated: such a need with an escalation level. Last round: the latest matching round that planned the
street, its own or one over every street.
"""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from msgspec import Struct
from sqlmodel import Session

from marketplace.dashboard.services import OPEN_STATUSES, days_between
from marketplace.needs.models import SOLVED_STATUSES, Need, NeedStatus, Shift
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.places.models import Community, Grid
from marketplace.places.services import list_streets
from marketplace.rounds.models import MatchRound
from marketplace.street_clock import street_today
from marketplace.volunteers.models import ShiftSignup, VolunteerProfile
from marketplace.volunteers.services import credited_sum, is_credited

# Needs that still wait for an outcome: neither solved nor closed without one.
UNSETTLED_EXCLUDED = (*SOLVED_STATUSES, NeedStatus.REJECTED, NeedStatus.CANCELLED)


class StreetRow(Struct):
    """One street's line on the city page (and in GET /api/v1/city/streets)."""

    street_id: int
    code: str
    name: str
    name_en: str
    district: str
    district_en: str
    city: str
    needs_collected: int
    needs_open: int
    needs_solved: int
    completion_rate: float
    average_days_to_close: float | None
    overdue: int
    escalated: int
    partners: int
    volunteers: int
    volunteer_hours: float
    last_round_at: datetime | None


class CityTotals(Struct):
    streets: int
    needs_collected: int
    needs_open: int
    needs_solved: int
    completion_rate: float
    overdue: int
    escalated: int
    partners: int
    volunteers: int
    volunteer_hours: float


# Columns the page and the API sort by (query parameter ``sort``; a leading "-" sorts descending).
SORT_KEYS = (
    "name",
    "needs_collected",
    "needs_open",
    "needs_solved",
    "completion_rate",
    "average_days_to_close",
    "overdue",
    "escalated",
    "partners",
    "volunteers",
    "volunteer_hours",
    "last_round_at",
)
DEFAULT_SORT = "name"


class UnknownSort(ValueError):
    pass


def parse_sort(value: str | None) -> tuple[str, bool]:
    """``sort=<column>`` or ``sort=-<column>``: the column and whether descending."""
    if not value:
        return DEFAULT_SORT, False
    descending = value.startswith("-")
    key = value.removeprefix("-")
    if key not in SORT_KEYS:
        raise UnknownSort(key)
    return key, descending


def _street_of_grid() -> Any:
    return Community.street_id


def _need_sums(session: Session, today: date) -> dict[int, Any]:
    dialect = session.get_bind().dialect.name
    closed_at = sa.func.coalesce(Need.verified_at, Need.completed_at)
    solved = Need.status.in_(SOLVED_STATUSES)  # type: ignore[attr-defined]
    days = sa.case((sa.and_(solved, closed_at.is_not(None)), days_between(closed_at, Need.created_at, dialect)))
    unsettled = Need.status.not_in(UNSETTLED_EXCLUDED)  # type: ignore[attr-defined]

    def count_if(condition: Any) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    statement = (
        sa.select(
            Community.street_id,
            sa.func.count(Need.id).label("collected"),
            count_if(Need.status.in_(OPEN_STATUSES)).label("open"),  # type: ignore[attr-defined]
            count_if(solved).label("solved"),
            sa.func.count(days).label("closed"),
            sa.func.sum(days).label("days"),
            count_if(sa.and_(unsettled, Need.due_date < today)).label("overdue"),  # type: ignore[operator]
            count_if(sa.and_(unsettled, Need.escalation_level.is_not(None))).label("escalated"),  # type: ignore[union-attr]
        )
        .join(Grid, Grid.id == Need.grid_id)
        .join(Community, Community.id == Grid.community_id)
        .where(Need.duplicate_of_id.is_(None))  # type: ignore[union-attr]
        .group_by(Community.street_id)
    )
    return {row.street_id: row for row in session.execute(statement)}


def _partners(session: Session) -> dict[int, int]:
    statement = (
        sa.select(Organization.street_id, sa.func.count(Organization.id))
        .where(Organization.status == OrganizationStatus.APPROVED)
        .group_by(Organization.street_id)
    )
    return {street_id: int(count) for street_id, count in session.execute(statement)}


def _volunteers_and_earlier_hours(session: Session) -> dict[int, tuple[int, float]]:
    """Volunteers living in each street, and their hours from the paper records before the platform."""
    per_volunteer = (
        sa.select(ShiftSignup.volunteer_id.label("volunteer_id"), credited_sum().label("credited"))  # type: ignore[attr-defined]
        .where(is_credited())
        .group_by(ShiftSignup.volunteer_id)
        .subquery()
    )
    credited = sa.func.coalesce(per_volunteer.c.credited, 0)
    earlier = sa.case((VolunteerProfile.hours_total > credited, VolunteerProfile.hours_total - credited), else_=0)
    statement = (
        sa.select(Community.street_id, sa.func.count(VolunteerProfile.id), sa.func.coalesce(sa.func.sum(earlier), 0))
        .select_from(VolunteerProfile)
        .join(Grid, Grid.id == VolunteerProfile.home_grid_id)
        .join(Community, Community.id == Grid.community_id)
        .outerjoin(per_volunteer, per_volunteer.c.volunteer_id == VolunteerProfile.id)
        .group_by(Community.street_id)
    )
    return {street_id: (int(count), float(hours)) for street_id, count, hours in session.execute(statement)}


def _credited_hours(session: Session) -> dict[int, float]:
    """Hours credited on the shifts of each street's needs."""
    statement = (
        sa.select(Community.street_id, credited_sum())
        .select_from(ShiftSignup)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .join(Grid, Grid.id == Need.grid_id)
        .join(Community, Community.id == Grid.community_id)
        .where(is_credited())
        .group_by(Community.street_id)
    )
    return {street_id: float(hours) for street_id, hours in session.execute(statement)}


def _last_rounds(session: Session) -> dict[int | None, datetime]:
    """The latest round per street; the key None holds the latest round over every street."""
    moment = sa.func.max(sa.func.coalesce(MatchRound.finished_at, MatchRound.started_at, MatchRound.created_at))
    statement = sa.select(MatchRound.street_id, moment).group_by(MatchRound.street_id)
    return {street_id: at for street_id, at in session.execute(statement) if at is not None}


def city_streets(session: Session, *, today: date | None = None) -> list[StreetRow]:
    """Every street's row, in the order of ``list_streets`` (city, district, code)."""
    today = today or street_today()
    needs = _need_sums(session, today)
    partners = _partners(session)
    people = _volunteers_and_earlier_hours(session)
    credited = _credited_hours(session)
    rounds = _last_rounds(session)
    everywhere = rounds.get(None)
    result = []
    for street in list_streets(session):
        sums = needs.get(street.id)
        collected = int(sums.collected) if sums else 0
        solved = int(sums.solved) if sums else 0
        closed = int(sums.closed) if sums else 0
        volunteers, earlier = people.get(street.id, (0, 0.0))
        own_round = rounds.get(street.id)
        last_round = max((at for at in (own_round, everywhere) if at is not None), default=None)
        result.append(
            StreetRow(
                street_id=street.id,
                code=street.code,
                name=street.name,
                name_en=street.name_en,
                district=street.district,
                district_en=street.district_en,
                city=street.city,
                needs_collected=collected,
                needs_open=int(sums.open) if sums else 0,
                needs_solved=solved,
                completion_rate=solved / collected if collected else 0.0,
                average_days_to_close=round(float(sums.days) / closed, 1) if sums and closed else None,
                overdue=int(sums.overdue) if sums else 0,
                escalated=int(sums.escalated) if sums else 0,
                partners=partners.get(street.id, 0),
                volunteers=volunteers,
                volunteer_hours=credited.get(street.id, 0.0) + earlier,
                last_round_at=last_round,
            )
        )
    return result


def sort_streets(rows: list[StreetRow], key: str, descending: bool) -> list[StreetRow]:
    """Sorted by ``key``; streets without a value (no closed need, no round) last either way, then by code."""
    if key == "name":
        return sorted(rows, key=lambda row: row.code, reverse=descending)
    with_value = [row for row in rows if getattr(row, key) is not None]
    without = sorted((row for row in rows if getattr(row, key) is None), key=lambda row: row.code)
    ordered = sorted(with_value, key=lambda row: row.code)
    ordered.sort(key=lambda row: getattr(row, key), reverse=descending)
    return ordered + without


def by_district(rows: list[StreetRow]) -> list[tuple[str, list[StreetRow]]]:
    """Rows grouped by district, districts in the order their first street appears."""
    groups: dict[str, list[StreetRow]] = {}
    for row in rows:
        groups.setdefault(row.district, []).append(row)
    return list(groups.items())


def city_totals(rows: list[StreetRow]) -> CityTotals:
    collected = sum(row.needs_collected for row in rows)
    solved = sum(row.needs_solved for row in rows)
    return CityTotals(
        streets=len(rows),
        needs_collected=collected,
        needs_open=sum(row.needs_open for row in rows),
        needs_solved=solved,
        completion_rate=solved / collected if collected else 0.0,
        overdue=sum(row.overdue for row in rows),
        escalated=sum(row.escalated for row in rows),
        partners=sum(row.partners for row in rows),
        volunteers=sum(row.volunteers for row in rows),
        volunteer_hours=sum(row.volunteer_hours for row in rows),
    )
