"""The street's figures: needs collected and solved, by category, grid and channel; partners, volunteers, grids.

Every number is an aggregate query (COUNT/SUM/AVG with GROUP BY); no rows are loaded to be counted in Python.
A need merged into another as its duplicate is one problem reported twice, so it is counted once:
through the need it was merged into.

Days to close: from the need's creation to its verification (or its completion, when not verified yet),
averaged over solved needs. Partner contributions count fulfilled matches only; volunteer hours are the
hours credited to sign-ups, dated by the shift's start on the street's clock. The public page shows
no volunteer's name: the top volunteers are ranks with hours and shifts.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from msgspec import Struct
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import PUBLIC_STATUSES, SOLVED_STATUSES, Need, Shift
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.places.models import Community, Grid
from marketplace.vocabulary import Category, IntakeChannel
from marketplace.volunteers.models import ShiftSignup, VolunteerProfile

# Published but not yet solved: a project still looking for (or using) help.
OPEN_STATUSES = tuple(status for status in PUBLIC_STATUSES if status not in SOLVED_STATUSES)


class Tally(Struct):
    """Needs collected and solved in one group (a category, a grid, a channel)."""

    collected: int
    solved: int
    # Mean days from creation to close over this group's solved needs; None when none is solved.
    average_days_to_close: float | None

    @property
    def completion_rate(self) -> float:
        return self.solved / self.collected if self.collected else 0.0


class CategoryTally(Tally):
    category: Category
    label: str


class ChannelTally(Tally):
    channel: IntakeChannel
    label: str


class GridTally(Tally):
    grid_id: int
    grid_code: str
    grid_name: str
    grid_name_en: str
    community_id: int
    community_name: str
    community_name_en: str


class StreetFigures(Struct):
    needs_collected: int
    needs_solved: int
    completion_rate: float
    open_projects: int
    partners_approved: int
    offers_active: int
    volunteers_registered: int
    volunteer_hours: float
    grids: int
    by_category: list[CategoryTally]
    by_grid: list[GridTally]
    by_channel: list[ChannelTally]
    average_days_to_close: float | None
    satisfaction_average: float | None
    satisfaction_count: int
    partners: list["PartnerContribution"]
    hours: "VolunteerHours"


class Delivered(Struct):
    unit: str
    quantity: float


class PartnerContribution(Struct):
    """What one organization delivered through fulfilled matches."""

    organization_id: int
    organization_name: str
    projects_helped: int
    delivered: list[Delivered]


class MonthHours(Struct):
    month: str  # "2026-06", street-local
    hours: float
    volunteers: int


class CategoryHours(Struct):
    category: Category
    label: str
    hours: float
    shifts: int


class RankedVolunteer(Struct):
    """A top volunteer without a name: rank, hours and shifts served."""

    rank: int
    hours: float
    shifts: int


class VolunteerHours(Struct):
    total: float
    shifts_served: int
    volunteers_serving: int
    by_month: list[MonthHours]
    by_category: list[CategoryHours]
    top: list[RankedVolunteer]


TOP_PARTNERS = 10
TOP_VOLUNTEERS = 10
MONTHS_SHOWN = 12
STREET_OFFSET_HOURS = 8  # Asia/Shanghai has no daylight saving time


def days_between(later: Any, earlier: Any, dialect: str) -> Any:
    """SQL for the days (fractional) between two timestamps, on SQLite and PostgreSQL."""
    if dialect == "sqlite":
        return sa.func.julianday(later) - sa.func.julianday(earlier)
    return sa.extract("epoch", later - earlier) / 86400.0


def street_month(column: Any, dialect: str) -> Any:
    """SQL for the street-local month "YYYY-MM" of a UTC timestamp."""
    if dialect == "sqlite":
        return sa.func.strftime("%Y-%m", column, f"+{STREET_OFFSET_HOURS} hours")
    return sa.func.to_char(sa.func.timezone("Asia/Shanghai", column), "YYYY-MM")


def _closed_at() -> Any:
    return sa.func.coalesce(Need.verified_at, Need.completed_at)


def _average_days(dialect: str) -> Any:
    """AVG over solved needs only: the CASE yields NULL for the others, which AVG skips."""
    solved = sa.and_(Need.status.in_(SOLVED_STATUSES), _closed_at().is_not(None))  # type: ignore[attr-defined]
    return sa.func.avg(sa.case((solved, days_between(_closed_at(), Need.created_at, dialect)), else_=None))


def _days(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _counted() -> Any:
    """The needs that count as collected: every need except merged duplicates."""
    return Need.duplicate_of_id.is_(None)  # type: ignore[union-attr]


def _solved_count() -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((Need.status.in_(SOLVED_STATUSES), 1), else_=0)), 0)  # type: ignore[attr-defined]


def street_figures(session: Session, *, today: date | None = None) -> StreetFigures:
    dialect = _dialect(session)
    collected, solved, open_projects, average_days, satisfaction, rated = session.execute(
        sa.select(
            sa.func.count(Need.id),
            _solved_count(),
            sa.func.coalesce(sa.func.sum(sa.case((Need.status.in_(OPEN_STATUSES), 1), else_=0)), 0),  # type: ignore[attr-defined]
            _average_days(dialect),
            sa.func.avg(Need.satisfaction),
            sa.func.count(Need.satisfaction),
        ).where(_counted())
    ).one()
    partners, offers, volunteers, hours, grids = session.execute(
        sa.select(
            _scalar(sa.func.count(Organization.id), Organization.status == OrganizationStatus.APPROVED),
            _scalar(sa.func.count(Offer.id), Offer.status == OfferStatus.ACTIVE),
            _scalar(sa.func.count(VolunteerProfile.id)),
            _scalar(sa.func.coalesce(sa.func.sum(VolunteerProfile.hours_total), 0)),
            _scalar(sa.func.count(Grid.id)),
        )
    ).one()
    return StreetFigures(
        needs_collected=collected,
        needs_solved=int(solved),
        completion_rate=int(solved) / collected if collected else 0.0,
        open_projects=int(open_projects),
        partners_approved=int(partners),
        offers_active=int(offers),
        volunteers_registered=int(volunteers),
        volunteer_hours=float(Decimal(hours)),
        grids=int(grids),
        by_category=_by_category(session),
        by_grid=_by_grid(session),
        by_channel=_by_channel(session),
        average_days_to_close=_days(average_days),
        satisfaction_average=None if satisfaction is None else round(float(satisfaction), 2),
        satisfaction_count=int(rated),
        partners=partner_contributions(session),
        hours=volunteer_hours(session, today=today),
    )


def _scalar(aggregate: Any, *conditions: Any) -> Any:
    """One aggregate as a scalar subquery, so several tables' totals come back in one statement."""
    return sa.select(aggregate).where(*conditions).scalar_subquery()


def _by_category(session: Session) -> list[CategoryTally]:
    statement = (
        sa.select(Need.category, sa.func.count(Need.id), _solved_count(), _average_days(_dialect(session)))
        .where(_counted())
        .group_by(Need.category)
        .order_by(sa.func.count(Need.id).desc(), Need.category)
    )
    return [
        CategoryTally(
            category=category,
            label=category.label,
            collected=collected,
            solved=int(solved),
            average_days_to_close=_days(days),
        )
        for category, collected, solved, days in session.execute(statement)
    ]


def _by_channel(session: Session) -> list[ChannelTally]:
    statement = (
        sa.select(Need.channel, sa.func.count(Need.id), _solved_count(), _average_days(_dialect(session)))
        .where(_counted())
        .group_by(Need.channel)
        .order_by(sa.func.count(Need.id).desc(), Need.channel)
    )
    return [
        ChannelTally(
            channel=channel,
            label=channel.label,
            collected=collected,
            solved=int(solved),
            average_days_to_close=_days(days),
        )
        for channel, collected, solved, days in session.execute(statement)
    ]


def _by_grid(session: Session) -> list[GridTally]:
    """Every grid, including those with no needs yet (an outer join), in community and grid order."""
    statement = (
        sa.select(
            Grid.id,
            Grid.code,
            Grid.name,
            Grid.name_en,
            Community.id,
            Community.name,
            Community.name_en,
            sa.func.count(Need.id),
            _solved_count(),
            _average_days(_dialect(session)),
        )
        .join(Community, Community.id == Grid.community_id)
        .outerjoin(Need, sa.and_(Need.grid_id == Grid.id, _counted()))
        .group_by(Grid.id, Grid.code, Grid.name, Grid.name_en, Community.id, Community.name, Community.name_en)
        .order_by(Community.id, Grid.number, Grid.id)
    )
    return [
        GridTally(
            grid_id=grid_id,
            grid_code=code,
            grid_name=name,
            grid_name_en=name_en,
            community_id=community_id,
            community_name=community_name,
            community_name_en=community_name_en,
            collected=collected,
            solved=int(solved),
            average_days_to_close=_days(days),
        )
        for grid_id, code, name, name_en, community_id, community_name, community_name_en, collected, solved, days in (
            session.execute(statement)
        )
    ]


def partner_contributions(session: Session, limit: int = TOP_PARTNERS) -> list[PartnerContribution]:
    """The top partners by projects helped (fulfilled matches of any kind), with quantities per unit delivered."""
    projects = sa.func.count(sa.distinct(Match.need_id))
    top = session.execute(
        sa.select(Organization.id, Organization.name, projects)
        .join(Match, Match.organization_id == Organization.id)
        .where(Match.status == MatchStatus.FULFILLED)
        .group_by(Organization.id, Organization.name)
        .order_by(projects.desc(), Organization.name, Organization.id)
        .limit(limit)
    ).all()
    if not top:
        return []
    delivered: dict[int, list[Delivered]] = {row[0]: [] for row in top}
    quantity = sa.func.sum(Match.quantity)
    for organization_id, unit, total in session.execute(
        sa.select(Offer.organization_id, Offer.unit, quantity)
        .join(Match, Match.offer_id == Offer.id)
        .where(
            Match.kind == MatchKind.OFFER_LINE,
            Match.status == MatchStatus.FULFILLED,
            Offer.organization_id.in_(list(delivered)),  # type: ignore[attr-defined]
        )
        .group_by(Offer.organization_id, Offer.unit)
        .order_by(Offer.organization_id, quantity.desc(), Offer.unit)
    ):
        delivered[organization_id].append(Delivered(unit=unit, quantity=float(total)))
    return [
        PartnerContribution(
            organization_id=organization_id,
            organization_name=name,
            projects_helped=int(helped),
            delivered=delivered[organization_id],
        )
        for organization_id, name, helped in top
    ]


def _months_back(today: date, count: int) -> list[str]:
    """The last ``count`` months up to ``today``'s, oldest first: ["2025-07", ..., "2026-06"]."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def volunteer_hours(session: Session, *, today: date | None = None, limit: int = TOP_VOLUNTEERS) -> VolunteerHours:
    """Hours credited to sign-ups: in total, by street-local month of the shift, by the need's category, top ranks."""
    from marketplace.notifications.digest import STREET_TIMEZONE

    dialect = _dialect(session)
    today = today or datetime.now(STREET_TIMEZONE).date()
    credited = ShiftSignup.hours_credited > 0
    hours = sa.func.coalesce(sa.func.sum(ShiftSignup.hours_credited), 0)
    total, shifts, people = session.execute(
        sa.select(hours, sa.func.count(ShiftSignup.id), sa.func.count(sa.distinct(ShiftSignup.volunteer_id))).where(
            credited
        )
    ).one()

    months = _months_back(today, MONTHS_SHOWN)
    month = street_month(Shift.starts_at, dialect)
    by_month = {
        key: (float(value), int(volunteers))
        for key, value, volunteers in session.execute(
            sa.select(month, hours, sa.func.count(sa.distinct(ShiftSignup.volunteer_id)))
            .join(Shift, Shift.id == ShiftSignup.shift_id)
            .where(credited, month >= months[0], month <= months[-1])
            .group_by(month)
        )
    }
    by_category = session.execute(
        sa.select(Need.category, hours, sa.func.count(ShiftSignup.id))
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .join(Need, Need.id == Shift.need_id)
        .where(credited)
        .group_by(Need.category)
        .order_by(hours.desc(), Need.category)
    ).all()
    top = session.execute(
        sa.select(hours, sa.func.count(ShiftSignup.id))
        .where(credited)
        .group_by(ShiftSignup.volunteer_id)
        .order_by(hours.desc(), sa.func.count(ShiftSignup.id).desc())
        .limit(limit)
    ).all()
    return VolunteerHours(
        total=float(total),
        shifts_served=int(shifts),
        volunteers_serving=int(people),
        by_month=[
            MonthHours(month=key, hours=by_month.get(key, (0.0, 0))[0], volunteers=by_month.get(key, (0.0, 0))[1])
            for key in months
        ],
        by_category=[
            CategoryHours(category=category, label=category.label, hours=float(value), shifts=int(count))
            for category, value, count in by_category
        ],
        top=[RankedVolunteer(rank=n, hours=float(value), shifts=int(count)) for n, (value, count) in enumerate(top, 1)],
    )
