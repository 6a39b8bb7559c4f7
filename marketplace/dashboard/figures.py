"""The street's figures: needs collected and solved, by category, grid and channel; partners, volunteers, grids.

For one street (``street_id``) or the whole deployment (None). Each figure of a street counts what lies in
it, so the streets' figures add up to the deployment's: a need through its grid; an organization, its active
offers and approval where it registered; a volunteer where they live; hours credited where the shift's need
is; hours from earlier paper records where the volunteer lives. (An organization or volunteer serving
several streets is counted once, in their own street.)

Every number is an aggregate query (COUNT/SUM/AVG with GROUP BY); no rows are loaded to be counted in Python.
A need merged into another as its duplicate is one problem reported twice, so it is counted once:
through the need it was merged into.

Days to close: from the need's creation to its verification (or its completion, when not verified yet),
averaged over solved needs. Partner contributions count fulfilled matches only; volunteer hours follow
the one definition of marketplace.volunteers.hours: credited to completed sign-ups, dated by the shift's
start on the street's clock, and apart from them the hours the street's earlier paper records brought
along. The public page shows no volunteer's name: the top volunteers are ranks with hours and shifts.
"""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from msgspec import Struct
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import PUBLIC_STATUSES, SOLVED_STATUSES, Need, Shift
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.places.models import Community, Grid, Street
from marketplace.places.services import grid_in_street, grids_of_streets
from marketplace.vocabulary import Category, IntakeChannel
from marketplace.volunteers.models import ShiftSignup, VolunteerProfile
from marketplace.volunteers.services import credited_sum, is_credited, street_hours

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
    open_needs: int = 0  # published and not yet solved: what the grid map colours by


class StreetTally(Tally):
    """One street's needs, in the figures of several streets (a city's 2,100 grids are no table to read)."""

    street_id: int
    street_code: str
    street_name: str
    street_name_en: str


class StreetFigures(Struct):
    needs_collected: int
    needs_solved: int
    completion_rate: float
    open_projects: int
    partners_approved: int
    offers_active: int
    volunteers_registered: int
    volunteer_hours: float  # all time: credited on the platform plus hours recorded before it
    grids: int
    by_category: list[CategoryTally]
    by_grid: list[GridTally]
    by_channel: list[ChannelTally]
    average_days_to_close: float | None
    satisfaction_average: float | None
    satisfaction_count: int
    partners: list["PartnerContribution"]
    hours: "VolunteerHours"
    # The whole deployment's figures only (``street_id`` None): each street's needs, in street order.
    by_street: list[StreetTally] = []
    volunteer_hours_credited: float = 0.0  # on the platform, all time (= hours.total)
    volunteer_hours_before_platform: float = 0.0  # from the street's earlier paper records


class Delivered(Struct):
    unit: str
    quantity: float


class PartnerContribution(Struct):
    """What one organization delivered through fulfilled matches."""

    organization_id: int
    organization_name: str
    projects_helped: int
    delivered: list[Delivered]
    organization_name_en: str | None = None  # the English pages name the partner by it where it has one

    def display_name(self, locale: str) -> str:
        """The organization's name in ``locale``: its English name on English pages where it has one."""
        return self.organization_name_en if locale == "en" and self.organization_name_en else self.organization_name


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
    total: float  # credited on the platform, all time
    shifts_served: int
    volunteers_serving: int
    by_month: list[MonthHours]
    by_category: list[CategoryHours]
    top: list[RankedVolunteer]
    this_year: float = 0.0  # credited to shifts starting in the street's current year
    year: int = 0
    before_platform: float = 0.0  # from the street's earlier paper records, never part of ``total``


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


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _counted() -> Any:
    """The needs that count as collected: every need except merged duplicates."""
    return Need.duplicate_of_id.is_(None)  # type: ignore[union-attr]


def _solved_count() -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((Need.status.in_(SOLVED_STATUSES), 1), else_=0)), 0)  # type: ignore[attr-defined]


class _Sums(Struct):
    """One tally's sums: needs collected, solved and open, and what the mean days to close needs."""

    collected: int = 0
    solved: int = 0
    open: int = 0
    closed: int = 0  # solved needs with a closing date: what the mean is over
    days: float = 0.0
    rated: int = 0
    satisfaction: float = 0.0

    @property
    def average_days(self) -> float | None:
        return round(self.days / self.closed, 1) if self.closed else None


_SUMMED = ("collected", "solved", "open", "closed", "days", "rated", "satisfaction")
_KEYS = ("grid_id", "category", "channel")


def _need_groups(dialect: str, street_id: int | None = None) -> Any:
    """Counted needs grouped by grid, category and channel: the one scan of the need table."""
    solved = sa.and_(Need.status.in_(SOLVED_STATUSES), _closed_at().is_not(None))  # type: ignore[attr-defined]
    days = sa.case((solved, days_between(_closed_at(), Need.created_at, dialect)), else_=None)
    return (
        sa.select(
            Need.grid_id,
            Need.category,
            Need.channel,
            sa.func.count(Need.id).label("collected"),
            _solved_count().label("solved"),
            sa.func.coalesce(sa.func.sum(sa.case((Need.status.in_(OPEN_STATUSES), 1), else_=0)), 0).label("open"),  # type: ignore[attr-defined]
            sa.func.count(days).label("closed"),
            sa.func.sum(days).label("days"),
            sa.func.count(Need.satisfaction).label("rated"),
            sa.func.sum(Need.satisfaction).label("satisfaction"),
        )
        .where(_counted(), grid_in_street(street_id, Need.grid_id))
        .group_by(Need.grid_id, Need.category, Need.channel)
        .cte("need_groups")
    )


def _tally(groups: Any, name: str, *by: str) -> sa.Select[Any]:
    """The groups summed again by ``by`` (nothing: the street's total); the other keys are NULL."""
    keys = [groups.c[key] if key in by else sa.cast(sa.null(), groups.c[key].type).label(key) for key in _KEYS]
    sums = [sa.func.sum(groups.c[column]).label(column) for column in _SUMMED]
    return sa.select(sa.literal(name, sa.String).label("tally"), *keys, *sums).group_by(*(groups.c[key] for key in by))


def _need_tallies(session: Session, street_id: int | None = None) -> dict[str, dict[Any, _Sums]]:
    """Needs in total, by category, by channel and by grid, in one statement and one scan of the needs.

    Four scans of the need table (a total and three GROUP BYs, one through the grid index) took
    110 ms of the figures' 133 ms of SQL at 20,000 needs; the groups of one scan are a few
    thousand rows at most, summed again by the database.
    """
    groups = _need_groups(_dialect(session), street_id)
    statement = sa.union_all(
        _tally(groups, "total"),
        _tally(groups, "category", "category"),
        _tally(groups, "channel", "channel"),
        _tally(groups, "grid", "grid_id"),
    )
    tallies: dict[str, dict[Any, _Sums]] = {"total": {}, "category": {}, "channel": {}, "grid": {}}
    for row in session.execute(statement):
        key = {"total": None, "category": row.category, "channel": row.channel, "grid": row.grid_id}[row.tally]
        tallies[row.tally][key] = _sums_of(row)
    return tallies


def _sums_of(row: Any) -> _Sums:
    values = row._mapping
    return _Sums(
        collected=int(values["collected"] or 0),
        solved=int(values["solved"] or 0),
        open=int(values["open"] or 0),
        closed=int(values["closed"] or 0),
        days=float(values["days"] or 0),
        rated=int(values["rated"] or 0),
        satisfaction=float(values["satisfaction"] or 0),
    )


def _largest_first(sums: dict[Any, _Sums]) -> list[tuple[Any, _Sums]]:
    """Most needs first, then by value (the order the tallies have always had)."""
    return sorted(sums.items(), key=lambda item: (-item[1].collected, str(item[0])))


def street_figures(session: Session, street_id: int | None = None, *, today: date | None = None) -> StreetFigures:
    """The figures of one street, or of the whole deployment when ``street_id`` is None."""
    tallies = _need_tallies(session, street_id)
    total = tallies["total"].get(None, _Sums())
    partners, offers, volunteers, grids = session.execute(
        sa.select(
            _scalar(
                sa.func.count(Organization.id),
                Organization.status == OrganizationStatus.APPROVED,
                organization_in_street(street_id),
            ),
            _scalar(sa.func.count(Offer.id), Offer.status == OfferStatus.ACTIVE, offer_in_street(street_id)),
            _scalar(sa.func.count(VolunteerProfile.id), grid_in_street(street_id, VolunteerProfile.home_grid_id)),
            _scalar(sa.func.count(Grid.id), grid_in_street(street_id, Grid.id)),
        )
    ).one()
    hours = volunteer_hours(session, street_id, today=today)
    return StreetFigures(
        needs_collected=total.collected,
        needs_solved=total.solved,
        completion_rate=total.solved / total.collected if total.collected else 0.0,
        open_projects=total.open,
        partners_approved=int(partners),
        offers_active=int(offers),
        volunteers_registered=int(volunteers),
        volunteer_hours=hours.total + hours.before_platform,
        grids=int(grids),
        by_category=_by_category(tallies["category"]),
        by_grid=_by_grid(session, tallies["grid"], street_id),
        by_street=_by_street(session, tallies["grid"]) if street_id is None else [],
        by_channel=_by_channel(tallies["channel"]),
        average_days_to_close=total.average_days,
        satisfaction_average=round(total.satisfaction / total.rated, 2) if total.rated else None,
        satisfaction_count=total.rated,
        partners=partner_contributions(session, street_id=street_id),
        hours=hours,
        volunteer_hours_credited=hours.total,
        volunteer_hours_before_platform=hours.before_platform,
    )


def organization_in_street(street_id: int | None) -> sa.ColumnElement[bool]:
    """An organization counts in the street it registered in (true for the whole deployment)."""
    return sa.true() if street_id is None else Organization.street_id == street_id


def offer_in_street(street_id: int | None) -> sa.ColumnElement[bool]:
    """An offer counts where its organization registered."""
    if street_id is None:
        return sa.true()
    return Offer.organization_id.in_(sa.select(Organization.id).where(Organization.street_id == street_id))  # type: ignore[attr-defined]


def need_ids_in_street(street_id: int) -> sa.Select[Any]:
    return sa.select(Need.id).where(Need.grid_id.in_(grids_of_streets({street_id})))  # type: ignore[attr-defined,union-attr]


def signup_in_street(street_id: int | None) -> sa.ColumnElement[bool]:
    """A sign-up counts in the street of its shift's need (where the work was done)."""
    if street_id is None:
        return sa.true()
    shifts = sa.select(Shift.id).where(Shift.need_id.in_(need_ids_in_street(street_id)))  # type: ignore[attr-defined]
    return ShiftSignup.shift_id.in_(shifts)  # type: ignore[attr-defined]


def _scalar(aggregate: Any, *conditions: Any) -> Any:
    """One aggregate as a scalar subquery, so several tables' totals come back in one statement."""
    return sa.select(aggregate).where(*conditions).scalar_subquery()


def _by_category(sums_by_category: dict[Any, _Sums]) -> list[CategoryTally]:
    return [
        CategoryTally(
            category=category,
            label=category.label,
            collected=sums.collected,
            solved=sums.solved,
            average_days_to_close=sums.average_days,
        )
        for category, sums in _largest_first(sums_by_category)
    ]


def _by_channel(sums_by_channel: dict[Any, _Sums]) -> list[ChannelTally]:
    return [
        ChannelTally(
            channel=channel,
            label=channel.label,
            collected=sums.collected,
            solved=sums.solved,
            average_days_to_close=sums.average_days,
        )
        for channel, sums in _largest_first(sums_by_channel)
    ]


def _by_grid(session: Session, by_grid: dict[Any, _Sums], street_id: int | None = None) -> list[GridTally]:
    """Every grid (of the street), including those with no needs yet, in community and grid order."""
    statement = (
        sa.select(Grid.id, Grid.code, Grid.name, Grid.name_en, Community.id, Community.name, Community.name_en)
        .join(Community, Community.id == Grid.community_id)
        .where(sa.true() if street_id is None else Community.street_id == street_id)
        .order_by(Community.id, Grid.number, Grid.id)
    )
    tallies = []
    for grid_id, code, name, name_en, community_id, community_name, community_name_en in session.execute(statement):
        sums = by_grid.get(grid_id, _Sums())
        tallies.append(
            GridTally(
                grid_id=grid_id,
                grid_code=code,
                grid_name=name,
                grid_name_en=name_en,
                community_id=community_id,
                community_name=community_name,
                community_name_en=community_name_en,
                collected=sums.collected,
                solved=sums.solved,
                average_days_to_close=sums.average_days,
                open_needs=sums.open,
            )
        )
    return tallies


def _by_street(session: Session, by_grid: dict[Any, _Sums]) -> list[StreetTally]:
    """Every street's needs: its grids' sums added up (the mean days weighted by the needs it is over)."""
    statement = (
        sa.select(Grid.id, Street.id, Street.code, Street.name, Street.name_en)
        .join(Community, Community.id == Grid.community_id)
        .join(Street, Street.id == Community.street_id)
        .order_by(Street.city, Street.district, Street.code)
    )
    streets: dict[int, tuple[Any, ...]] = {}
    sums: dict[int, _Sums] = {}
    for grid_id, street_id, code, name, name_en in session.execute(statement):
        streets.setdefault(street_id, (code, name, name_en))
        total = sums.setdefault(street_id, _Sums())
        grid = by_grid.get(grid_id)
        if grid is not None:
            total.collected += grid.collected
            total.solved += grid.solved
            total.closed += grid.closed
            total.days += grid.days
    return [
        StreetTally(
            street_id=street_id,
            street_code=code,
            street_name=name,
            street_name_en=name_en,
            collected=sums[street_id].collected,
            solved=sums[street_id].solved,
            average_days_to_close=sums[street_id].average_days,
        )
        for street_id, (code, name, name_en) in streets.items()
    ]


def partner_contributions(
    session: Session, limit: int = TOP_PARTNERS, *, street_id: int | None = None
) -> list[PartnerContribution]:
    """The top partners by projects helped (fulfilled matches of any kind, for needs of the street),
    with quantities per unit delivered."""
    projects = sa.func.count(sa.distinct(Match.need_id))
    in_street = sa.true() if street_id is None else Match.need_id.in_(need_ids_in_street(street_id))  # type: ignore[attr-defined]
    top = session.execute(
        sa.select(Organization.id, Organization.name, projects, Organization.name_en)
        .join(Match, Match.organization_id == Organization.id)
        .where(Match.status == MatchStatus.FULFILLED, in_street)
        .group_by(Organization.id, Organization.name, Organization.name_en)
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
            in_street,
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
            organization_name_en=name_en,
        )
        for organization_id, name, helped, name_en in top
    ]


def _months_back(today: date, count: int) -> list[str]:
    """The last ``count`` months up to ``today``'s, oldest first: ["2025-07", ..., "2026-06"]."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def volunteer_hours(
    session: Session, street_id: int | None = None, *, today: date | None = None, limit: int = TOP_VOLUNTEERS
) -> VolunteerHours:
    """Hours credited to sign-ups: in total, by street-local month of the shift, by the need's category, top ranks.

    For one street: sign-ups on shifts of its needs; hours before the platform of the volunteers living there."""
    from marketplace.notifications.services import STREET_TIMEZONE

    dialect = _dialect(session)
    today = today or datetime.now(STREET_TIMEZONE).date()
    # Completed sign-ups (the one definition); counts of shifts and people leave out stays that earned 0 h.
    credited = sa.and_(is_credited(), ShiftSignup.hours_credited > 0, signup_in_street(street_id))
    hours = credited_sum()
    street = (
        street_hours(session, today)
        if street_id is None
        else street_hours(
            session,
            today,
            signups=signup_in_street(street_id),
            volunteers=grid_in_street(street_id, VolunteerProfile.home_grid_id),
        )
    )
    shifts, people = session.execute(
        sa.select(sa.func.count(ShiftSignup.id), sa.func.count(sa.distinct(ShiftSignup.volunteer_id))).where(credited)
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
        total=float(street.credited),
        this_year=float(street.credited_this_year),
        year=street.year,
        before_platform=float(street.before_platform),
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
