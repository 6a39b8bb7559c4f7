"""The project list's export: the public board, following its filters, as CSV or .xlsx.

Only what the public board shows is written (no resident's name, phone or address). Import of
projects is not offered: projects are published from reviewed needs, not uploaded.
"""

from collections.abc import Iterator
from typing import Annotated, Any

import sqlalchemy as sa
from litestar import Controller, get
from litestar.datastructures import State
from litestar.params import FromQuery, QueryParameter
from litestar.response import Stream
from sqlmodel import Session

from marketplace.db.deps import ReaderSession
from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.paging import Key, keyset_pages, stream_list
from marketplace.i18n import current_locale
from marketplace.needs.models import NEED_BOARD_RANK, Need
from marketplace.needs.services import (
    BoardFilters,
    ProjectCard,
    check_filters_exist,
    count_projects,
    filter_projects,
    load_cards,
    parse_filters,
)
from marketplace.query_filters import InvalidFilter, invalid_filter_response
from marketplace.security.guards import PUBLIC

# The board's order (open first, then urgency and due date in board_rank/due_date, newest), as the export reads
# it a page at a time (exchange.paging).
BOARD_ORDER = (
    Key(NEED_BOARD_RANK),
    Key(Need.due_date),
    Key(Need.created_at, descending=True),
    Key(Need.id, descending=True),
)


def _resources(card: ProjectCard) -> str:
    return "; ".join(
        f"{line.description or line.kind.value} {line.still_needed:g}/{line.quantity:g} {line.unit}"
        for line in card.resources
    )


def _open_slots(card: ProjectCard) -> int:
    return sum(shift.open_slots for shift in card.shifts)


def project_columns(language: str = "zh") -> list[ColumnSpec]:
    """The board's columns; a community and a grid are named in the file's language (their English names in
    English)."""
    english = language == "en"

    def column(name: str, zh: str, en: str, export: Any) -> ColumnSpec:
        return ColumnSpec(name=name, header_zh=zh, header_en=en, parse=text(200), export=export)

    return [
        column("id", "编号", "ID", lambda c: c.id),
        column("title", "项目名称", "Title", lambda c: c.title),
        column("category", "类别", "Category", lambda c: c.category),
        column("status", "状态", "Status", lambda c: c.status),
        column("urgency", "紧急程度", "Urgency", lambda c: c.urgency),
        column("community", "社区", "Community", lambda c: (english and c.community.name_en) or c.community.name),
        column("grid", "网格", "Grid", lambda c: c.grid.code),
        column("grid_name", "网格名称", "Grid name", lambda c: (english and c.grid.name_en) or c.grid.name),
        column("due_date", "期限", "Due date", lambda c: c.due_date),
        column("published_at", "发布日期", "Published", lambda c: c.published_at),
        column("resources", "资源（仍需/总量）", "Resources (still needed/total)", _resources),
        column("open_slots", "志愿者空缺", "Open volunteer slots", _open_slots),
    ]


def project_pages(session: Session, filters: BoardFilters) -> Iterator[list[ProjectCard]]:
    """Every project of the board for these filters, in its order, a page at a time (its cards)."""
    listed = filter_projects(sa.select(Need.id).where(NEED_BOARD_RANK.is_not(None)), filters)
    for page in keyset_pages(session, listed, BOARD_ORDER):
        ids = [row[0] for row in page]
        cards = load_cards(session, ids)
        yield [cards[need_id] for need_id in ids]


def export_projects(
    reader: Any,
    state: State,
    *,
    category: str | None,
    community: str | None,
    grid: str | None,
    status: str | None,
    file_format: str,
) -> Stream:
    """Every project of the board following its filters, streamed a page at a time (exchange.paging)."""
    filters = parse_filters(category=category, community=community, grid=grid, status=status)
    check_filters_exist(reader, filters)
    language = "en" if str(current_locale.get()).startswith("en") else "zh"
    return stream_list(
        state.reader_factory,
        lambda session: project_pages(session, filters),
        project_columns(language),
        file_format,
        "projects",
        count_projects(reader, filters),
        language,
    )


FileFormat = Annotated[str, QueryParameter(pattern="^(csv|xlsx)$", description="csv (UTF-8 with BOM) or xlsx")]


class ProjectExportController(Controller):
    opt = PUBLIC  # the public board, as a file: nothing the board does not show
    path = "/"
    tags = ["projects"]
    exception_handlers = {InvalidFilter: invalid_filter_response}

    @get("/projects/export", name="projects:export", include_in_schema=False, sync_to_thread=True)
    def page_export(
        self,
        reader: ReaderSession,
        state: State,
        category: FromQuery[str | None] = None,
        community: FromQuery[str | None] = None,
        grid: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        format: FileFormat = "csv",
    ) -> Stream:
        return export_projects(
            reader, state, category=category, community=community, grid=grid, status=status, file_format=format
        )

    @get(
        "/api/v1/projects/export",
        operation_id="exportProjects",
        summary="The project board as CSV or Excel",
        description="The public board's projects following the same filters (category, community, grid, status), "
        "every row (the count in X-Export-Rows), formulas neutralised. Columns: docs/import-export.md.",
        sync_to_thread=True,
    )
    def api_export(
        self,
        reader: ReaderSession,
        state: State,
        category: FromQuery[str | None] = None,
        community: FromQuery[str | None] = None,
        grid: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        format: FileFormat = "csv",
    ) -> Stream:
        return export_projects(
            reader, state, category=category, community=community, grid=grid, status=status, file_format=format
        )
