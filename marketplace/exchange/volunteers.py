"""The volunteer directory's file, for staff and admins: exactly the filtered list, in the reader's language.

Volunteers register themselves; staff may also import the street's earlier register
(marketplace/exchange/volunteer_import.py), which reads the "Work they want to do" and "Completion rate"
columns of this file back. Names and phones are masked as on the page, for every role (as the need list's
export masks residents): the file never carries a person's contact in clear, so it needs no audit row, and
it is sent with ``Cache-Control: no-store``. Hours are those of marketplace.volunteers.hours: credited on the
platform, and, in its own column, what the street's earlier paper records brought along.
"""

from collections import defaultdict
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import Any, NamedTuple

import sqlalchemy as sa
from litestar.datastructures import State
from litestar.response import Redirect, Stream
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.paging import Key, keyset_pages, stream_list
from marketplace.exchange.writers import Rate, enum_labels
from marketplace.i18n import current_locale
from marketplace.masking import mask_name, mask_phone
from marketplace.needs.models import Shift
from marketplace.places.models import Grid
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import street_time
from marketplace.vocabulary import Category
from marketplace.volunteers.models import (
    ShiftSignup,
    Skill,
    VolunteerInterest,
    VolunteerProfile,
    VolunteerSegment,
    VolunteerSkill,
)
from marketplace.volunteers.services import (
    FIGURE_SORTS,
    ZERO,
    VolunteerFilters,
    before_platform,
    count_volunteers,
    credited_sum,
    export_listing,
    is_credited,
    parse_filters,
    year_start,
)

# An export reads (and holds) paging.PAGE_ROWS rows at a time, however many the list has: memory stays bounded,
# and the file holds every row. (It once stopped at 20,000 rows without a word, a city having 100,000.)
# An .xlsx is sent only once its last row is written (a workbook's zip directory comes last): a longer list's
# .xlsx is written by a background job (20,000 rows took 21 s on a city), CSV always streams at once.
XLSX_IN_REQUEST_ROWS = 20_000


class VolunteerLine(NamedTuple):
    """One volunteer as the file writes them, read as plain columns (no ORM objects): the directory's row
    (``volunteers.directory.DirectoryRow``), names and phones masked the same way."""

    id: int
    name_masked: str
    grid_code: str
    grid_name: str
    grid_name_en: str | None
    segment: VolunteerSegment
    is_party_member: bool
    is_active: bool
    phone_masked: str
    skills: list[tuple[str, str | None]]
    interests: list[Category]
    hours_this_year: Decimal
    hours_credited: Decimal
    shifts_completed: int
    hours_before_platform: Decimal
    last_service: date | None
    reliability: float | None

    @property
    def hours_all_time(self) -> Decimal:
        return self.hours_credited + self.hours_before_platform


def _names(items: list[tuple[str, str | None]], english: bool) -> str:
    return ("; " if english else "、").join((name_en or name) if english else name for name, name_en in items)


def _interests(items: list[Category], english: bool) -> str:
    labels = enum_labels(Category)  # the file's language: the writer sets it around each page
    return ("; " if english else "、").join(labels[category] for category in items)


def volunteer_columns(language: str = "zh") -> list[ColumnSpec]:
    english = language == "en"

    def column(name: str, zh: str, en: str, export: Any) -> ColumnSpec:
        return ColumnSpec(name=name, header_zh=zh, header_en=en, parse=text(200), export=export)

    return [
        column("id", "编号", "ID", lambda r: r.id),
        column("name", "姓名（已遮蔽）", "Name (masked)", lambda r: r.name_masked),
        column("grid", "网格", "Grid", lambda r: r.grid_code),
        column(
            "grid_name", "网格名称", "Grid name", lambda r: (r.grid_name_en or r.grid_name) if english else r.grid_name
        ),
        column("segment", "类别", "Group", lambda r: r.segment),
        column("party_member", "党员", "Party member", lambda r: r.is_party_member),
        column("active", "账号可用", "Account active", lambda r: r.is_active),
        column("phone", "电话（部分隐藏）", "Phone (partly hidden)", lambda r: r.phone_masked),
        column("skills", "技能", "Skills", lambda r: _names(r.skills, english)),
        # The same headers as the import's (marketplace/exchange/volunteer_import.py), which reads them back.
        column("interests", "意向服务类型", "Work they want to do", lambda r: _interests(r.interests, english)),
        column("hours_this_year", "本年工时", "Hours this year", lambda r: r.hours_this_year),
        column("hours_credited", "已计入工时", "Hours credited", lambda r: r.hours_credited),
        column("shifts_completed", "完成班次", "Shifts completed", lambda r: r.shifts_completed),
        column(
            "hours_before_platform",
            "平台启用前工时",
            "Hours before the platform",
            lambda r: r.hours_before_platform,
        ),
        column("hours_all_time", "累计工时", "Hours in all", lambda r: r.hours_all_time),
        column("last_service", "最近服务日期", "Last service", lambda r: r.last_service),
        column(
            "completion_rate",
            "履约率",
            "Completion rate",
            lambda r: Rate(r.reliability) if r.reliability is not None else None,
        ),
    ]


def reader_language() -> str:
    return "en" if str(current_locale.get()).startswith("en") else "zh"


# What a row of the file reads, as plain columns: the directory's listing selects these instead of its ORM rows.
PLAIN_COLUMNS = (
    VolunteerProfile.id,
    User.display_name,
    User.phone,
    Grid.code,
    Grid.name,
    Grid.name_en,
    VolunteerProfile.segment,
    VolunteerProfile.is_party_member,
    User.is_active,
    VolunteerProfile.hours_total,
)


def plain_listing(viewer: CurrentUser, filters: VolunteerFilters) -> tuple[sa.Select[Any], list[Key], bool]:
    """The directory's export listing (``directory.export_listing``: its joins, scope, filters and order) selecting
    plain columns: PLAIN_COLUMNS, then what the listing selects after its three rows (the service figures when
    the sort reads them, and the completion rate). Whether the figures come with the rows."""
    statement, order, _finish = export_listing(viewer, filters)
    figured = filters.sort in FIGURE_SORTS
    tail = list(statement.selected_columns)[-3:] if figured else list(statement.selected_columns)[-1:]
    plain = statement.with_only_columns(*PLAIN_COLUMNS, *tail, maintain_column_froms=True)
    return plain, [Key(expr, descending) for expr, descending in order], figured


def _service_figures(db: Session, ids: list[int], since: datetime) -> dict[int, tuple[Any, Any]]:
    """Hours credited since ``since`` and the last completed shift's start, of these volunteers (as the
    directory's ``_service_figures``)."""
    statement = (
        sa.select(
            ShiftSignup.volunteer_id,
            sa.func.coalesce(sa.func.sum(sa.case((Shift.starts_at >= since, ShiftSignup.hours_credited), else_=0)), 0),
            sa.func.max(Shift.starts_at),
        )
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .where(is_credited(), ShiftSignup.volunteer_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(ShiftSignup.volunteer_id)
    )
    return {row[0]: (row[1], row[2]) for row in db.connection().execute(statement)}


def plain_rows(db: Session, page: list[Any], figured: bool, since: datetime) -> list[VolunteerLine]:
    """A page of the plain listing as the file's rows: hours, skills and interests read for its volunteers
    only (three or four statements a page, as the directory's rows), values as the directory gives them."""
    ids = [row[0] for row in page]
    if not ids:
        return []
    execute = db.connection().execute  # columns only: no ORM loading
    figures = {} if figured else _service_figures(db, ids, since)
    hours: dict[int, tuple[Decimal, int]] = {
        volunteer_id: (Decimal(total), int(count))
        for volunteer_id, total, count in execute(
            sa.select(ShiftSignup.volunteer_id, credited_sum(), sa.func.count(ShiftSignup.id))
            .where(is_credited(), ShiftSignup.volunteer_id.in_(ids))  # type: ignore[attr-defined]
            .group_by(ShiftSignup.volunteer_id)
        )
    }
    skills: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for volunteer_id, name, name_en in execute(
        sa.select(VolunteerSkill.volunteer_id, Skill.name, Skill.name_en)
        .join(Skill, Skill.id == VolunteerSkill.skill_id)  # type: ignore[arg-type]
        .where(VolunteerSkill.volunteer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(Skill.group, Skill.id)
    ):
        skills[volunteer_id].append((name, name_en))
    interests: dict[int, list[Category]] = defaultdict(list)
    for volunteer_id, category in execute(
        sa.select(VolunteerInterest.volunteer_id, VolunteerInterest.category).where(
            VolunteerInterest.volunteer_id.in_(ids)  # type: ignore[attr-defined]
        )
    ):
        interests[volunteer_id].append(category)
    for found in interests.values():
        found.sort(key=CATEGORY_ORDER.__getitem__)
    lines = []
    for row in page:
        volunteer_id = row[0]
        year_hours, last, rate = (
            (row[10], row[11], row[12]) if figured else (*figures.get(volunteer_id, (None, None)), row[10])
        )
        credited, shifts = hours.get(volunteer_id, (ZERO, 0))
        lines.append(
            VolunteerLine(
                id=volunteer_id,
                name_masked=mask_name(row[1]) or "",
                grid_code=row[3],
                grid_name=row[4],
                grid_name_en=row[5],
                segment=row[6],
                is_party_member=row[7],
                is_active=row[8],
                phone_masked=mask_phone(row[2]) or "",
                skills=skills.get(volunteer_id, []),
                interests=interests.get(volunteer_id, []),
                hours_this_year=Decimal(str(year_hours or 0)),
                hours_credited=credited,
                shifts_completed=shifts,
                hours_before_platform=before_platform(row[9], credited),
                last_service=street_time(last).date() if last is not None else None,
                reliability=float(rate) if rate is not None else None,
            )
        )
    return lines


CATEGORY_ORDER = {category: position for position, category in enumerate(Category)}


def volunteer_pages(db: Session, viewer: CurrentUser, filters: VolunteerFilters) -> Iterator[list[VolunteerLine]]:
    """The directory's rows in its order, a page at a time, each page after the last row seen
    (exchange.paging), read as plain columns: building five ORM objects a row, then turning their values back
    into enums, took two thirds of a 10,000-volunteer file's CPU."""
    statement, keys, figured = plain_listing(viewer, filters)
    since = year_start()
    for page in keyset_pages(db, statement, keys, plain=True):
        yield plain_rows(db, page, figured, since)


def export_in_background(
    state: State, viewer: CurrentUser, listing: str, file_format: str, rows: int, query: Mapping[str, Any]
) -> Redirect:
    """A list too long for its .xlsx to be written within a request, as an ``exchange.export`` job: the asker
    goes to the job's page, which shows the rows written and offers the file when it is done."""
    from marketplace.exchange.needs import start_job

    arguments = {
        "list": listing,
        "format": file_format,
        "query": {str(key): str(value) for key, value in query.items()},
        "language": reader_language(),
        "rows": rows,
    }
    return start_job(state, viewer, "exchange.export", arguments)


def export_volunteers(
    db: Session,
    viewer: CurrentUser,
    file_format: str,
    query: Mapping[str, Any],
    state: State,
) -> Stream | Redirect:
    """Every volunteer the viewer may see that matches the directory's query, in its order, as CSV or .xlsx.

    The list is counted in the request (sent as ``X-Export-Rows``) and read a page at a time while the file
    streams out, in a session of the app's readers (exchange.paging). An .xlsx of more than XLSX_IN_REQUEST_ROWS rows is
    written by a background job instead (``export_in_background``)."""
    language, filters = reader_language(), parse_filters(query)
    total = count_volunteers(db, viewer, filters)
    if file_format == "xlsx" and total > XLSX_IN_REQUEST_ROWS:
        return export_in_background(state, viewer, "volunteers", file_format, total, query)
    read = partial(volunteer_pages, viewer=viewer, filters=filters)
    return stream_list(
        state.reader_factory, read, volunteer_columns(language), file_format, "volunteers", total, language
    )
