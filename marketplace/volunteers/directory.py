"""The staff's volunteer directory: search, filters, sort and pages over the volunteers the viewer may see.

Scope comes from ``scope.volunteers_visible_to`` (staff: their grids; a street admin: volunteers serving the
street; a city admin: all), so a filter can only narrow it. The list shows names and phones masked; the
export (marketplace/exchange/volunteers.py) writes exactly the filtered list, masked the same way.

A filter or sort value the directory cannot use is an ``InvalidFilter`` naming the query parameter (400), as
on the need board; an empty value means "any".
"""

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.db.types import utcnow
from marketplace.i18n import N_, current_locale
from marketplace.masking import mask_name, mask_phone
from marketplace.needs.models import Shift
from marketplace.organizations.services import volunteers_visible_to
from marketplace.places.models import Grid
from marketplace.query_filters import choice, like_pattern, number, parse_search, yes_no
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import day_start, street_day, street_time
from marketplace.vocabulary import Category
from marketplace.volunteers.hours import VolunteerHours, hours_of, is_credited
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    Skill,
    VolunteerInterest,
    VolunteerProfile,
    VolunteerSegment,
    VolunteerSkill,
)

PAGE_SIZE = 50
# Sort keys: (label, natural direction). Names A→Z; figures largest first, volunteers without one last.
SORTS: dict[str, str] = {
    "name": N_("Name"),
    "hours": N_("Hours this year"),
    "last_service": N_("Last service"),
    "reliability": N_("Reliability"),
}
STATUSES = {"active": N_("Active account"), "inactive": N_("Disabled account")}


@dataclass(frozen=True)
class VolunteerFilters:
    q: str | None = None
    community_id: int | None = None
    grid_id: int | None = None
    skill_id: int | None = None
    interest: Category | None = None
    weekday: int | None = None  # 0 = Monday
    status: str | None = None  # "active" | "inactive"
    has_hours: bool | None = None
    sort: str = "name"

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for pagination and export links)."""
        values = {
            "q": self.q,
            "community": self.community_id,
            "grid": self.grid_id,
            "skill": self.skill_id,
            "interest": self.interest.value if self.interest else None,
            "day": self.weekday,
            "status": self.status,
            "has_hours": None if self.has_hours is None else ("yes" if self.has_hours else "no"),
            "sort": None if self.sort == "name" else self.sort,
        }
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def parse_filters(params: Mapping[str, Any]) -> VolunteerFilters:
    """The query string's filters; a value the directory cannot use raises ``InvalidFilter`` naming it."""
    interest = choice(params, "interest", [category.value for category in Category])
    return VolunteerFilters(
        q=parse_search(params),
        community_id=number(params, "community"),
        grid_id=number(params, "grid"),
        skill_id=number(params, "skill"),
        interest=Category(interest) if interest else None,
        weekday=number(params, "day", maximum=6),
        status=choice(params, "status", STATUSES),
        has_hours=yes_no(params, "has_hours"),
        sort=choice(params, "sort", SORTS) or "name",
    )


def categories_matching(text: str) -> list[str]:
    """Codes of the need categories whose label (in either language) contains the text (not the code: "_"
    would find every code with an underscore)."""
    wanted = text.strip().lower()
    found: list[str] = []
    for locale in ("zh_CN", "en"):
        token = current_locale.set(locale)
        try:
            found += [code for code, label in Category.choices() if wanted in label.lower()]
        finally:
            current_locale.reset(token)
    return sorted(set(found))


def year_start(now: datetime | None = None) -> datetime:
    """The start of the street's current calendar year, as a UTC moment."""
    today = street_day(now or utcnow())
    return day_start(date(today.year, 1, 1))


def _service_figures(since: datetime, volunteer_ids: list[int] | None = None) -> sa.Select[Any]:
    """Per volunteer: hours credited since ``since`` and the start of the last completed shift; with
    ``volunteer_ids``, only theirs."""
    statement = (
        sa.select(
            ShiftSignup.volunteer_id.label("volunteer_id"),
            sa.func.coalesce(
                sa.func.sum(sa.case((Shift.starts_at >= since, ShiftSignup.hours_credited), else_=0)), 0
            ).label("year_hours"),
            sa.func.max(Shift.starts_at).label("last_service"),
        )
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(is_credited())
        .group_by(ShiftSignup.volunteer_id)
    )
    if volunteer_ids is not None:
        statement = statement.where(ShiftSignup.volunteer_id.in_(volunteer_ids))  # type: ignore[attr-defined]
    return statement


def reliability() -> Any:
    """SQL: completed / (completed + no-shows) on the platform; without any, the imported completion rate."""
    done = VolunteerProfile.fulfilled_count + VolunteerProfile.no_show_count
    return sa.case(
        (done > 0, sa.cast(VolunteerProfile.fulfilled_count, sa.Float) / done),
        else_=VolunteerProfile.reliability_rate,
    )


def _conditions(filters: VolunteerFilters) -> list[Any]:
    conditions: list[Any] = []
    if filters.q:
        pattern = like_pattern(filters.q)
        skills = (
            sa.select(VolunteerSkill.volunteer_id)
            .join(Skill, Skill.id == VolunteerSkill.skill_id)
            .where(sa.or_(Skill.name.ilike(pattern, escape="\\"), Skill.name_en.ilike(pattern, escape="\\")))  # type: ignore[attr-defined]
        )
        either = [User.display_name.ilike(pattern, escape="\\"), VolunteerProfile.id.in_(skills)]  # type: ignore[attr-defined,union-attr]
        codes = categories_matching(filters.q)
        if codes:
            interested = sa.select(VolunteerInterest.volunteer_id).where(VolunteerInterest.category.in_(codes))  # type: ignore[attr-defined]
            either.append(VolunteerProfile.id.in_(interested))  # type: ignore[union-attr]
        conditions.append(sa.or_(*either))
    if filters.community_id is not None:
        conditions.append(Grid.community_id == filters.community_id)
    if filters.grid_id is not None:
        conditions.append(VolunteerProfile.home_grid_id == filters.grid_id)
    if filters.skill_id is not None:
        having = sa.select(VolunteerSkill.volunteer_id).where(VolunteerSkill.skill_id == filters.skill_id)
        conditions.append(VolunteerProfile.id.in_(having))  # type: ignore[union-attr]
    if filters.interest is not None:
        interested = sa.select(VolunteerInterest.volunteer_id).where(VolunteerInterest.category == filters.interest)
        conditions.append(VolunteerProfile.id.in_(interested))  # type: ignore[union-attr]
    if filters.weekday is not None:
        free = sa.select(AvailabilitySlot.volunteer_id).where(AvailabilitySlot.weekday == filters.weekday)
        conditions.append(VolunteerProfile.id.in_(free))  # type: ignore[union-attr]
    if filters.status is not None:
        conditions.append(User.is_active == (filters.status == "active"))  # type: ignore[arg-type]
    if filters.has_hours is not None:
        conditions.append((VolunteerProfile.hours_total > 0) == filters.has_hours)  # type: ignore[operator]
    return conditions


@dataclass
class DirectoryRow:
    """One volunteer as the directory and its export show them: plain data, names and phones masked."""

    id: int
    name_masked: str
    grid: Grid
    segment: VolunteerSegment
    is_party_member: bool
    is_active: bool
    phone_masked: str
    hours: VolunteerHours
    hours_this_year: Decimal
    last_service: date | None
    reliability: float | None
    skills: list[Skill] = field(default_factory=list)
    interests: list[Category] = field(default_factory=list)


@dataclass
class DirectoryPage:
    rows: list[DirectoryRow]
    total: int
    page: int
    pages: int


# Sorts that read the service figures: only they figure every visible volunteer before the page is cut.
FIGURE_SORTS = frozenset({"hours", "last_service"})
# Past this many rows a page (an export) joins every volunteer's figures rather than list its ids.
MAX_LISTED_IDS = 1000


def search_volunteers(
    db: Session,
    viewer: CurrentUser,
    filters: VolunteerFilters,
    *,
    page: int = 1,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> DirectoryPage:
    """The volunteers the viewer may see that match the filters, sorted, one page of them (5 or 6 statements).

    The viewer's scope is a condition on the profile, not a join to a copy of the table, and the service
    figures (hours this year, last service) are figured for the page's volunteers only, unless the sort
    reads them: a city admin's list of 100,000 volunteers by name summed every volunteer's completed
    shifts (a grouped join spilling to disk) to show fifty of them.
    """
    since = year_start(now)
    rate = reliability()
    scope = [_visible(viewer), *_conditions(filters)]
    counted = _joined(sa.select(sa.func.count()).select_from(VolunteerProfile), filters, sort=False)
    total = int(db.execute(counted.where(*scope)).scalar_one())
    pages = max(1, -(-total // page_size))
    offset = (page - 1) * page_size
    if filters.sort in FIGURE_SORTS or page_size > MAX_LISTED_IDS:
        # Written as before on purpose: with the scope as a joined copy of the profiles, PostgreSQL sorts
        # the profiles by their figures and joins accounts for the first rows only (an incremental sort);
        # with the scope as a condition it joined all 100,000 accounts first (430 -> 755 ms by hours).
        statement, figures = _with_figures(viewer, filters, since, rate)
        rows = db.execute(
            statement.order_by(*_order(filters.sort, figures, rate)).limit(page_size).offset(offset)
        ).all()
        return DirectoryPage(_rows(db, list(rows)), total, page, pages)
    listed = _joined(sa.select(VolunteerProfile, User, Grid), filters, sort=True, every=True).where(*scope)
    # The page's ids first, sorting only what the order reads, then their rows.
    order = _order(filters.sort, None, rate)
    ids = _joined(sa.select(VolunteerProfile.id), filters, sort=True).where(*scope).order_by(*order)
    found = db.execute(
        listed.add_columns(rate)
        .where(VolunteerProfile.id.in_(ids.limit(page_size).offset(offset)))  # type: ignore[union-attr]
        .order_by(*order)
    ).all()
    return DirectoryPage(_figured_rows(db, list(found), since), total, page, pages)


def count_volunteers(db: Session, viewer: CurrentUser, filters: VolunteerFilters) -> int:
    """How many volunteers the directory lists for these filters (one statement, as search_volunteers counts)."""
    counted = _joined(sa.select(sa.func.count()).select_from(VolunteerProfile), filters, sort=False)
    return int(db.execute(counted.where(_visible(viewer), *_conditions(filters))).scalar_one())


def export_listing(
    viewer: CurrentUser, filters: VolunteerFilters, now: datetime | None = None
) -> tuple[sa.Select[Any], list[tuple[Any, bool]], Callable[[Session, list[Any]], list[DirectoryRow]]]:
    """The directory for an export read page after page by its order (exchange.paging): the statement
    (unordered), its order as (expression, descending) pairs ending with the id (the page's order), and what
    makes a page of its rows into DirectoryRows. A sort by the service figures selects them with the rows;
    any other sort figures them for each page's volunteers only (as search_volunteers does)."""
    since = year_start(now)
    rate = reliability()
    name = [(User.display_name, False), (VolunteerProfile.id, False)]
    if filters.sort in FIGURE_SORTS:
        statement, figures = _with_figures(viewer, filters, since, rate)
        if filters.sort == "hours":
            order = [(sa.func.coalesce(figures.c.year_hours, 0), True), *name]
        else:
            order = [(figures.c.last_service.is_(None), False), (figures.c.last_service, True), *name]
        return statement, order, lambda db, rows: _rows(db, list(rows))
    statement = _joined(sa.select(VolunteerProfile, User, Grid), filters, sort=True, every=True)
    statement = statement.where(_visible(viewer), *_conditions(filters)).add_columns(rate)
    order = [(rate.is_(None), False), (rate, True), *name] if filters.sort == "reliability" else name
    return statement, order, lambda db, rows: _figured_rows(db, list(rows), since)


def _with_figures(
    viewer: CurrentUser, filters: VolunteerFilters, since: datetime, rate: Any
) -> tuple[sa.Select[Any], Any]:
    """The visible volunteers with their service figures selected beside them (a sort that reads the figures),
    and the figures' subquery for the order. The page and the export's listing share it."""
    visible = volunteers_visible_to(viewer).subquery()
    figures = _service_figures(since).subquery()
    statement = (
        sa.select(VolunteerProfile, User, Grid, figures.c.year_hours, figures.c.last_service, rate)
        .join(visible, visible.c.id == VolunteerProfile.id)
        .join(User, User.id == VolunteerProfile.user_id)  # type: ignore[arg-type]
        .join(Grid, Grid.id == VolunteerProfile.home_grid_id)  # type: ignore[arg-type]
        .outerjoin(figures, figures.c.volunteer_id == VolunteerProfile.id)
        .where(*_conditions(filters))
    )
    return statement, figures


def _figured_rows(db: Session, found: list[Any], since: datetime) -> list[DirectoryRow]:
    """Rows of (profile, user, grid, rate) as DirectoryRows, their service figures read for these volunteers
    only (the page's or an export page's)."""
    shown = [row[0].id for row in found]
    figured = {row[0]: (row[1], row[2]) for row in db.execute(_service_figures(since, shown))} if shown else {}
    rows = [(profile, user, grid, *figured.get(profile.id, (None, None)), rate) for profile, user, grid, rate in found]
    return _rows(db, rows)


def _joined(statement: sa.Select[Any], filters: VolunteerFilters, *, sort: bool, every: bool = False) -> sa.Select[Any]:
    """The volunteer's account and home grid where the filters (a search, the account status, a community),
    the sort (every sort ends with the name) or the rows (``every``) read them. Each profile has exactly one
    of each (foreign keys that may not be empty), so leaving a join out changes no count."""
    if every or sort or filters.q or filters.status is not None:
        statement = statement.join(User, User.id == VolunteerProfile.user_id)  # type: ignore[arg-type]
    if every or filters.community_id is not None:
        statement = statement.join(Grid, Grid.id == VolunteerProfile.home_grid_id)  # type: ignore[arg-type]
    return statement


def _visible(viewer: CurrentUser) -> Any:
    """The viewer's scope (``scope.volunteers_visible_to``) as a condition on VolunteerProfile."""
    clause = volunteers_visible_to(viewer).whereclause
    return sa.true() if clause is None else clause


def _order(sort: str, figures: Any, rate: Any) -> list[Any]:
    name = [User.display_name, VolunteerProfile.id]
    if sort == "hours":
        return [sa.func.coalesce(figures.c.year_hours, 0).desc(), *name]
    if sort == "last_service":
        return [figures.c.last_service.is_(None), figures.c.last_service.desc(), *name]
    if sort == "reliability":
        return [rate.is_(None), rate.desc(), *name]
    return name


def _rows(db: Session, rows: list[Any]) -> list[DirectoryRow]:
    profiles = [row[0] for row in rows]
    ids = [profile.id for profile in profiles]
    hours = hours_of(db, profiles)
    skills: dict[int, list[Skill]] = defaultdict(list)
    interests: dict[int, list[Category]] = defaultdict(list)
    if ids:
        for volunteer_id, skill in db.execute(
            sa.select(VolunteerSkill.volunteer_id, Skill)
            .join(Skill, Skill.id == VolunteerSkill.skill_id)
            .where(VolunteerSkill.volunteer_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(Skill.group, Skill.id)
        ):
            skills[volunteer_id].append(skill)
        order = {category.value: position for position, category in enumerate(Category)}
        for volunteer_id, category in db.execute(
            sa.select(VolunteerInterest.volunteer_id, VolunteerInterest.category).where(
                VolunteerInterest.volunteer_id.in_(ids)  # type: ignore[attr-defined]
            )
        ):
            interests[volunteer_id].append(category)
        for found in interests.values():
            found.sort(key=lambda category: order[category.value])
    return [
        DirectoryRow(
            id=profile.id,
            name_masked=mask_name(user.display_name) or "",
            grid=grid,
            segment=profile.segment,
            is_party_member=profile.is_party_member,
            is_active=user.is_active,
            phone_masked=mask_phone(user.phone) or "",
            hours=hours[profile.id],
            hours_this_year=Decimal(str(year_hours or 0)),
            last_service=street_time(last).date() if last is not None else None,
            reliability=float(rate) if rate is not None else None,
            skills=skills[profile.id],
            interests=interests[profile.id],
        )
        for profile, user, grid, year_hours, last, rate in rows
    ]
