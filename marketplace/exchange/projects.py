"""The project list's export: the public board, following its filters, as CSV or .xlsx.

Only what the public board shows is written (no resident's name, phone or address). Import of
projects is not offered: projects are published from reviewed needs, not uploaded.
"""

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.params import FromQuery, QueryParameter

from marketplace.db.deps import ReaderSession
from marketplace.db.types import utcnow
from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, write_csv, write_xlsx
from marketplace.i18n import current_locale
from marketplace.needs.board import InvalidFilter, ProjectCard, check_filters_exist, list_projects, parse_filters
from marketplace.needs.controllers import invalid_filter_response
from marketplace.security.guards import PUBLIC
from marketplace.validation import STREET_TZ

# A street has a few hundred projects; the cap keeps one request bounded.
MAX_EXPORT_ROWS = 5000


def _resources(card: ProjectCard) -> str:
    return "; ".join(
        f"{line.description or line.kind.value} {line.still_needed:g}/{line.quantity:g} {line.unit}"
        for line in card.resources
    )


def _open_slots(card: ProjectCard) -> int:
    return sum(shift.open_slots for shift in card.shifts)


def project_columns() -> list[ColumnSpec]:
    def column(name: str, zh: str, en: str, export: Any) -> ColumnSpec:
        return ColumnSpec(name=name, header_zh=zh, header_en=en, parse=text(200), export=export)

    return [
        column("id", "编号", "ID", lambda c: c.id),
        column("title", "项目名称", "Title", lambda c: c.title),
        column("category", "类别", "Category", lambda c: c.category),
        column("status", "状态", "Status", lambda c: c.status),
        column("urgency", "紧急程度", "Urgency", lambda c: c.urgency),
        column("community", "社区", "Community", lambda c: c.community.name),
        column("grid", "网格", "Grid", lambda c: c.grid.code),
        column("due_date", "期限", "Due date", lambda c: c.due_date),
        column("published_at", "发布日期", "Published", lambda c: c.published_at),
        column("resources", "资源（仍需/总量）", "Resources (still needed/total)", _resources),
        column("open_slots", "志愿者空缺", "Open volunteer slots", _open_slots),
    ]


def export_projects(
    reader: Any, *, category: str | None, community: str | None, grid: str | None, status: str | None, file_format: str
) -> Response[bytes]:
    filters = parse_filters(category=category, community=community, grid=grid, status=status)
    check_filters_exist(reader, filters)
    cards = list_projects(reader, filters, page=1, page_size=MAX_EXPORT_ROWS).items
    language = "en" if str(current_locale.get()).startswith("en") else "zh"
    columns = project_columns()
    if file_format == "xlsx":
        body, media_type = write_xlsx(columns, cards, language, title="projects"), XLSX_MEDIA_TYPE
    else:
        body, media_type = write_csv(columns, cards, language), CSV_MEDIA_TYPE
    stamp = utcnow().astimezone(STREET_TZ).strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="projects-{stamp}.{file_format}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})


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
        category: FromQuery[str | None] = None,
        community: FromQuery[str | None] = None,
        grid: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        format: FileFormat = "csv",
    ) -> Response[bytes]:
        return export_projects(
            reader, category=category, community=community, grid=grid, status=status, file_format=format
        )

    @get(
        "/api/v1/projects/export",
        operation_id="exportProjects",
        summary="The project board as CSV or Excel",
        description="The public board's projects following the same filters (category, community, grid, status), "
        "at most 5000 rows, formulas neutralised. Columns: docs/import-export.md.",
        sync_to_thread=True,
    )
    def api_export(
        self,
        reader: ReaderSession,
        category: FromQuery[str | None] = None,
        community: FromQuery[str | None] = None,
        grid: FromQuery[str | None] = None,
        status: FromQuery[str | None] = None,
        format: FileFormat = "csv",
    ) -> Response[bytes]:
        return export_projects(
            reader, category=category, community=community, grid=grid, status=status, file_format=format
        )
