"""The volunteer directory's file, for staff and admins: exactly the filtered list, in the reader's language.

Volunteers register themselves; staff may also import the street's earlier register
(marketplace/exchange/volunteer_import.py), which reads the "Work they want to do" and "Completion rate"
columns of this file back. Names and phones are masked as on the page, for every role (as the need list's
export masks residents): the file never carries a person's contact in clear, so it needs no audit row, and
it is sent with ``Cache-Control: no-store``. Hours are those of marketplace.volunteers.hours: credited on the
platform, and, in its own column, what the street's earlier paper records brought along.
"""

from typing import Any

from litestar import Response
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, Rate, write_csv, write_xlsx
from marketplace.i18n import current_locale
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import STREET_TIMEZONE
from marketplace.volunteers.directory import DirectoryRow, VolunteerFilters, search_volunteers

# A street has a few thousand volunteers at most; the cap keeps one request bounded.
MAX_EXPORT_ROWS = 20_000


def _names(items: list[Any], english: bool) -> str:
    return ("; " if english else "、").join((item.name_en or item.name) if english else item.name for item in items)


def volunteer_columns(language: str = "zh") -> list[ColumnSpec]:
    english = language == "en"

    def column(name: str, zh: str, en: str, export: Any) -> ColumnSpec:
        return ColumnSpec(name=name, header_zh=zh, header_en=en, parse=text(200), export=export)

    return [
        column("id", "编号", "ID", lambda r: r.id),
        column("name", "姓名（已遮蔽）", "Name (masked)", lambda r: r.name_masked),
        column("grid", "网格", "Grid", lambda r: r.grid.code),
        column(
            "grid_name", "网格名称", "Grid name", lambda r: (r.grid.name_en or r.grid.name) if english else r.grid.name
        ),
        column("segment", "类别", "Group", lambda r: r.segment),
        column("party_member", "党员", "Party member", lambda r: r.is_party_member),
        column("active", "账号可用", "Account active", lambda r: r.is_active),
        column("phone", "电话（部分隐藏）", "Phone (partly hidden)", lambda r: r.phone_masked),
        column("skills", "技能", "Skills", lambda r: _names(r.skills, english)),
        # The same headers as the import's (marketplace/exchange/volunteer_import.py), which reads them back.
        column(
            "interests",
            "意向服务类型",
            "Work they want to do",
            lambda r: ("; " if english else "、").join(c.label for c in r.interests),
        ),
        column("hours_this_year", "本年工时", "Hours this year", lambda r: r.hours_this_year),
        column("hours_credited", "已计入工时", "Hours credited", lambda r: r.hours.credited),
        column("shifts_completed", "完成班次", "Shifts completed", lambda r: r.hours.shifts),
        column(
            "hours_before_platform", "平台启用前工时", "Hours before the platform", lambda r: r.hours.before_platform
        ),
        column("hours_all_time", "累计工时", "Hours in all", lambda r: r.hours.all_time),
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


def volunteer_rows(db: Session, viewer: CurrentUser, filters: VolunteerFilters | None = None) -> list[DirectoryRow]:
    return search_volunteers(db, viewer, filters or VolunteerFilters(), page=1, page_size=MAX_EXPORT_ROWS).rows


def download(body: bytes, file_format: str, name: str) -> Response[bytes]:
    """A file download; no shared cache keeps a copy (the rows are people, even masked)."""
    stamp = utcnow().astimezone(STREET_TIMEZONE).strftime("%Y%m%d-%H%M")
    headers = {
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.{file_format}"',
        "Cache-Control": "no-store",
    }
    return Response(body, media_type=XLSX_MEDIA_TYPE if file_format == "xlsx" else CSV_MEDIA_TYPE, headers=headers)


def export_volunteers(
    db: Session, viewer: CurrentUser, file_format: str, filters: VolunteerFilters | None = None
) -> Response[bytes]:
    """The volunteers the viewer may see that match the directory's filters, in its order, as CSV or .xlsx."""
    language = reader_language()
    rows, columns = volunteer_rows(db, viewer, filters), volunteer_columns(language)
    if file_format == "xlsx":
        body = write_xlsx(columns, rows, language, title="volunteers")
    else:
        body = write_csv(columns, rows, language)
    return download(body, file_format, "volunteers")
