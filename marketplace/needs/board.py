"""The public project board: published needs, filtered, sorted and paginated, and one project in full.

Queries select explicit public columns, never the whole ``Need`` row, so a beneficiary's name,
phone and address cannot reach a public page or the public API by accident. A page of projects
costs a fixed number of queries (count, page, its resource lines, shifts and skills), however long.
"""

import math
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from msgspec import Struct
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.i18n import gettext as _
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import (
    NEED_BOARD_RANK,
    PUBLIC_STATUSES,
    SOLVED_STATUSES,
    Need,
    NeedStatus,
    ResourceLine,
    Shift,
    ShiftSkill,
)
from marketplace.places.models import Community, Grid, ServiceStation
from marketplace.places.services import (
    CommunityRef,
    GridRef,
    ServiceStationInfo,
    StreetRef,
    grid_in_street,
    parse_street,
    station_info,
)
from marketplace.query_filters import MAX_ID, InvalidFilter
from marketplace.vocabulary import Category, IntakeChannel, ResourceKind, Urgency
from marketplace.volunteers.models import Skill
from marketplace.whole_numbers import whole_number

# The statuses a visitor may filter by: exactly the public ones, so anything else is a 400.
PublicStatus = StrEnum("PublicStatus", {status.name: status.value for status in PUBLIC_STATUSES})  # type: ignore[misc]

MAX_API_PAGE_SIZE = 100


@dataclass(frozen=True)
class BoardFilters:
    category: Category | None = None
    community_id: int | None = None
    grid_id: int | None = None
    status: NeedStatus | None = None
    # The street chosen with ``street=<code>`` (None: every street); not a filter the form shows as active.
    street: StreetRef | None = None

    @property
    def active(self) -> bool:
        return any(value is not None for value in (self.category, self.community_id, self.grid_id, self.status))

    @property
    def street_id(self) -> int | None:
        return None if self.street is None else self.street.id


class SkillRef(Struct):
    code: str
    name: str
    name_en: str


class ResourceNeed(Struct, omit_defaults=True):
    """A resource line as the public sees it: what is asked for and what is still needed.

    ``closed``: the street closed it as enough (部分办结); it needs nothing more (shown only when true).
    """

    id: int
    kind: ResourceKind
    kind_label: str
    category: Category
    description: str
    quantity: float
    still_needed: float
    unit: str
    closed: bool = False
    item_key: str = ""  # the item vocabulary's key ("" when the text names no known item)
    # A closed line only: what its approved and delivered claims bring. Closing sets still_needed to 0, so
    # quantity - still_needed would claim the whole quantity was provided.
    provided: float | None = None
    # What its line claims delivered (marked delivered by the partner), as the staff page's "Delivered" column:
    # an approved claim is promised, not yet delivered, so a line nobody needs more of may have 0 delivered
    # (shown only when something was delivered).
    delivered: float | None = None


class ShiftInfo(Struct, omit_defaults=True):
    id: int
    title: str
    location: str
    starts_at: datetime
    ends_at: datetime
    slots: int
    open_slots: int
    requires_approval: bool
    skills: list[SkillRef]
    # Cancelled by the street: it takes no sign-ups and has no open places (shown only when true).
    cancelled: bool = False
    # Ended: a place left unfilled (open_slots) is no longer asked for; the pages say it is over (shown only when
    # true).
    over: bool = False


class ProjectCard(Struct):
    """A published need as it appears on the board."""

    id: int
    title: str
    category: Category
    category_label: str
    status: NeedStatus
    status_label: str
    urgency: Urgency
    urgency_label: str
    due_date: date | None
    grid: GridRef
    community: CommunityRef
    created_at: datetime
    published_at: datetime | None
    resources: list[ResourceNeed]
    shifts: list[ShiftInfo]
    # A partner's approved ("approved") or delivered ("fulfilled") whole-project claim: it provides what the
    # lines still need, so nothing is asked of the public (docs/need_changes.md).
    whole_claim: str | None

    @property
    def is_solved(self) -> bool:
        return self.status in SOLVED_STATUSES

    @property
    def asks_the_public(self) -> bool:
        """Whether the card lists what is still needed: not once solved or taken on whole by a partner."""
        return not self.is_solved and self.whole_claim is None

    @property
    def resources_still_needed(self) -> list[ResourceNeed]:
        return [line for line in self.resources if line.still_needed > 0]

    @property
    def open_slots(self) -> int:
        """The places still asked for: those of shifts not over (a place left unfilled when its shift ended is not)."""
        return sum(shift.open_slots for shift in self.shifts if not shift.over)


class ProjectDetail(ProjectCard):
    """Everything public about one project."""

    description: str
    channel: IntakeChannel
    channel_label: str
    service_station: ServiceStationInfo | None
    completed_at: datetime | None
    verified_at: datetime | None
    # The beneficiary's rating (1-5), shown once the street has verified the work.
    satisfaction: int | None


class BoardPage(Struct):
    items: list[ProjectCard]
    total: int
    page: int
    page_size: int
    pages: int

    @property
    def first_index(self) -> int:
        """1-based position of the first item shown ("showing 21–40 of 95")."""
        return (self.page - 1) * self.page_size + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return (self.page - 1) * self.page_size + len(self.items)


def parse_filters(*, category: str | None, community: str | None, grid: str | None, status: str | None) -> BoardFilters:
    """Filters from a GET form, where an empty field means "any"; raises ``InvalidFilter``."""
    return BoardFilters(
        category=_parse_category(category),
        community_id=_parse_id("community", community),
        grid_id=_parse_id("grid", grid),
        status=_parse_public_status(status),
    )


def with_street(session: Session, filters: BoardFilters, code: str | None) -> BoardFilters:
    """The filters limited to the street named by ``street=<code>`` (raises ``InvalidFilter`` when unknown)."""
    return replace(filters, street=parse_street(session, code))


def _parse_category(value: str | None) -> Category | None:
    if not value:
        return None
    try:
        return Category(value)
    except ValueError:
        raise InvalidFilter("category", _("unknown category")) from None


def _parse_public_status(value: str | None) -> NeedStatus | None:
    if not value:
        return None
    if value not in {status.value for status in PUBLIC_STATUSES}:
        raise InvalidFilter("status", _("not a status shown on the public board"))
    return NeedStatus(value)


def _parse_id(parameter: str, value: str | None) -> int | None:
    if not value:
        return None
    number = whole_number(value, maximum=MAX_ID)
    if number is None:
        raise InvalidFilter(parameter, _("expected a positive whole number"))
    return number


def check_filters_exist(session: Session, filters: BoardFilters) -> None:
    """A community or grid that does not exist is a client error, not an empty board."""
    if filters.community_id is not None and session.get(Community, filters.community_id) is None:
        raise InvalidFilter("community", _("no community with this id"))
    if filters.grid_id is not None and session.get(Grid, filters.grid_id) is None:
        raise InvalidFilter("grid", _("no grid with this id"))


def filter_projects(statement: sa.Select[Any], filters: BoardFilters) -> sa.Select[Any]:
    if filters.street is not None:
        statement = statement.where(grid_in_street(filters.street_id, Need.grid_id))
    if filters.status is not None:
        statement = statement.where(Need.status == filters.status)
    if filters.category is not None:
        statement = statement.where(Need.category == filters.category)
    if filters.grid_id is not None:
        statement = statement.where(Need.grid_id == filters.grid_id)
    if filters.community_id is not None:
        # Only this filter needs the grid; every need has one, so the board joins it for nothing else.
        statement = statement.join(Grid, Grid.id == Need.grid_id).where(Grid.community_id == filters.community_id)
    return statement


def count_projects(session: Session, filters: BoardFilters) -> int:
    # Counted on the status index alone (no row is read) when no other filter applies.
    statement = sa.select(sa.func.count()).select_from(Need).where(Need.status.in_(PUBLIC_STATUSES))  # type: ignore[attr-defined]
    return session.execute(filter_projects(statement, filters)).scalar_one()


def _page_ids(session: Session, filters: BoardFilters, *, page: int, page_size: int) -> list[int]:
    # Open projects first (visitors come to help), then urgency, due date (undated last), newest:
    # board_rank holds the first three (NULL for needs the public does not see), and the index
    # ix_need_board_order is in exactly this order, so a page is read from it without sorting.
    statement = (
        filter_projects(sa.select(Need.id).where(NEED_BOARD_RANK.is_not(None)), filters)
        .order_by(NEED_BOARD_RANK, Need.due_date, Need.created_at.desc(), Need.id.desc())  # type: ignore[attr-defined,union-attr]
        .limit(page_size)
        .offset((page - 1) * page_size)
    )
    return list(session.execute(statement).scalars())


def list_projects(session: Session, filters: BoardFilters, *, page: int, page_size: int) -> BoardPage:
    """One page of the board; ``page`` beyond the last gives an empty page with the true totals."""
    total = count_projects(session, filters)
    ids = _page_ids(session, filters, page=page, page_size=page_size)
    cards = load_cards(session, ids)
    return BoardPage(
        items=[cards[need_id] for need_id in ids],
        total=total,
        page=page,
        page_size=page_size,
        pages=max(1, math.ceil(total / page_size)),
    )


# The need's approved or delivered whole-project claim, as a column of the card query (no query of its own).
_WHOLE_CLAIM = (
    sa.select(Match.status)
    .where(
        Match.need_id == Need.id,
        Match.kind == MatchKind.WHOLE_NEED,
        Match.status.in_([MatchStatus.APPROVED, MatchStatus.FULFILLED]),  # type: ignore[attr-defined]
    )
    .limit(1)
    .correlate(Need)
    .scalar_subquery()
    .label("whole_claim")
)

# Plain columns, not ORM objects: loading Grid and Community entities cost more than the page's SQL.
_CARD_COLUMNS = (
    Need.id,
    Need.title,
    Need.category,
    Need.status,
    Need.urgency,
    Need.due_date,
    Need.created_at,
    Need.published_at,
    Grid.id.label("grid_id"),  # type: ignore[union-attr]
    Grid.code.label("grid_code"),  # type: ignore[attr-defined]
    Grid.name.label("grid_name"),  # type: ignore[attr-defined]
    Grid.name_en.label("grid_name_en"),  # type: ignore[attr-defined]
    Community.id.label("community_id"),  # type: ignore[union-attr]
    Community.name.label("community_name"),  # type: ignore[attr-defined]
    Community.name_en.label("community_name_en"),  # type: ignore[attr-defined]
    _WHOLE_CLAIM,
)


def load_cards(session: Session, need_ids: list[int]) -> dict[int, ProjectCard]:
    if not need_ids:
        return {}
    statement = (
        sa.select(*_CARD_COLUMNS)
        .join(Grid, Grid.id == Need.grid_id)
        .join(Community, Community.id == Grid.community_id)
        .where(Need.id.in_(need_ids))  # type: ignore[union-attr]
    )
    resources = _resources_of(session, need_ids)
    shifts = _shifts_of(session, need_ids)
    return {row.id: ProjectCard(**_card_fields(row, resources, shifts)) for row in session.execute(statement)}


def _card_fields(
    row: Any, resources: dict[int, list[ResourceNeed]], shifts: dict[int, list[ShiftInfo]]
) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "category": row.category,
        "category_label": row.category.label,
        "status": row.status,
        "status_label": row.status.label,
        "urgency": row.urgency,
        "urgency_label": row.urgency.label,
        "due_date": row.due_date,
        "grid": GridRef(id=row.grid_id, code=row.grid_code, name=row.grid_name, name_en=row.grid_name_en),
        "community": CommunityRef(id=row.community_id, name=row.community_name, name_en=row.community_name_en),
        "created_at": row.created_at,
        "published_at": row.published_at,
        "resources": resources.get(row.id, []),
        "shifts": shifts.get(row.id, []),
        "whole_claim": MatchStatus(row.whole_claim).value if row.whole_claim else None,
    }


# What a line's delivered claims brought, as a column of the line query (no query of its own).
_LINE_DELIVERED = (
    sa.select(sa.func.coalesce(sa.func.sum(Match.quantity), 0))
    .where(Match.resource_line_id == ResourceLine.id, Match.status == MatchStatus.FULFILLED)
    .correlate(ResourceLine)
    .scalar_subquery()
)
# What a line's approved and delivered claims bring, as a column of the line query (no query of its own).
_LINE_PROVIDED = (
    sa.select(sa.func.coalesce(sa.func.sum(Match.quantity), 0))
    .where(
        Match.resource_line_id == ResourceLine.id,
        Match.status.in_([MatchStatus.APPROVED, MatchStatus.FULFILLED]),  # type: ignore[attr-defined]
    )
    .correlate(ResourceLine)
    .scalar_subquery()
)


def _resources_of(session: Session, need_ids: list[int]) -> dict[int, list[ResourceNeed]]:
    statement = (
        sa.select(
            ResourceLine.need_id,
            ResourceLine.id,
            ResourceLine.kind,
            ResourceLine.category,
            ResourceLine.description,
            ResourceLine.quantity,
            ResourceLine.still_needed,
            ResourceLine.unit,
            ResourceLine.closed_at,
            ResourceLine.item_key,
            sa.case((ResourceLine.closed_at.is_not(None), _LINE_PROVIDED), else_=None),  # type: ignore[union-attr]
            _LINE_DELIVERED,
        )
        .where(ResourceLine.need_id.in_(need_ids))  # type: ignore[attr-defined]
        .order_by(ResourceLine.id)
    )
    lines: dict[int, list[ResourceNeed]] = {}
    for (
        need_id,
        line_id,
        kind,
        category,
        description,
        quantity,
        still_needed,
        unit,
        closed_at,
        item_key,
        provided,
        delivered,
    ) in session.execute(statement):
        lines.setdefault(need_id, []).append(
            ResourceNeed(
                id=line_id,
                kind=kind,
                kind_label=kind.label,
                category=category,
                description=description,
                quantity=float(quantity),
                still_needed=float(still_needed),
                unit=unit,
                closed=closed_at is not None,
                item_key=item_key or "",
                provided=min(float(provided), float(quantity)) if closed_at is not None else None,
                delivered=min(float(delivered), float(quantity)) if delivered else None,
            )
        )
    return lines


_SHIFT_COLUMNS = (
    Shift.need_id,
    Shift.id,
    Shift.title,
    Shift.location,
    Shift.starts_at,
    Shift.ends_at,
    Shift.slots,
    Shift.confirmed_count,
    Shift.requires_approval,
    Shift.cancelled_at,
)


def _shifts_of(session: Session, need_ids: list[int]) -> dict[int, list[ShiftInfo]]:
    statement = sa.select(*_SHIFT_COLUMNS).where(Shift.need_id.in_(need_ids)).order_by(Shift.starts_at, Shift.id)  # type: ignore[attr-defined]
    rows = list(session.execute(statement))
    skills = _skills_of(session, [row.id for row in rows])
    shifts: dict[int, list[ShiftInfo]] = {}
    now = utcnow()
    for row in rows:
        over = row.ends_at <= now
        shifts.setdefault(row.need_id, []).append(
            ShiftInfo(
                id=row.id,
                title=row.title,
                location=row.location,
                starts_at=row.starts_at,
                ends_at=row.ends_at,
                slots=row.slots,
                open_slots=0 if row.cancelled_at is not None else max(0, row.slots - row.confirmed_count),
                requires_approval=row.requires_approval,
                skills=skills.get(row.id, []),
                cancelled=row.cancelled_at is not None,
                over=over,
            )
        )
    return shifts


def _skills_of(session: Session, shift_ids: list[int]) -> dict[int, list[SkillRef]]:
    if not shift_ids:
        return {}
    statement = (
        sa.select(ShiftSkill.shift_id, Skill.code, Skill.name, Skill.name_en)
        .join(Skill, Skill.id == ShiftSkill.skill_id)
        .where(ShiftSkill.shift_id.in_(shift_ids))  # type: ignore[attr-defined]
        .order_by(Skill.group, Skill.code)
    )
    skills: dict[int, list[SkillRef]] = {}
    for shift_id, code, name, name_en in session.execute(statement):
        skills.setdefault(shift_id, []).append(SkillRef(code=code, name=name, name_en=name_en))
    return skills


def get_project(session: Session, need_id: int) -> ProjectDetail | None:
    """One public project in full, or ``None`` when it does not exist or is not public."""
    if not 1 <= need_id <= MAX_ID:
        return None
    statement = (
        sa.select(
            *_CARD_COLUMNS,
            Need.description,
            Need.channel,
            Need.completed_at,
            Need.verified_at,
            Need.satisfaction,
            ServiceStation,
        )
        .join(Grid, Grid.id == Need.grid_id)
        .join(Community, Community.id == Grid.community_id)
        .outerjoin(ServiceStation, ServiceStation.grid_id == Grid.id)
        .where(Need.id == need_id, Need.status.in_(PUBLIC_STATUSES))  # type: ignore[attr-defined]
    )
    row = session.execute(statement).one_or_none()
    if row is None:
        return None
    fields = _card_fields(row, _resources_of(session, [need_id]), _shifts_of(session, [need_id]))
    return ProjectDetail(
        **fields,
        description=row.description,
        channel=row.channel,
        channel_label=row.channel.label,
        service_station=station_info(row.ServiceStation),
        completed_at=row.completed_at,
        verified_at=row.verified_at,
        satisfaction=row.satisfaction if row.status == NeedStatus.VERIFIED else None,
    )
