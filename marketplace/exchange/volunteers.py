"""The volunteer list's file, for staff: who, where, and their hours by the one definition.

Volunteers register themselves; staff may also import the street's earlier register
(marketplace/exchange/volunteer_import.py). Phones are masked as on the page. Hours are those of
marketplace.volunteers.hours: credited on the platform, and, in its own column, what the street's
earlier paper records brought along.
"""

from litestar import Response
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, write_csv, write_xlsx
from marketplace.i18n import current_locale
from marketplace.security.identity import CurrentUser
from marketplace.street_clock import STREET_TIMEZONE
from marketplace.volunteers.services import VolunteerRow, list_volunteers

# A street has a few thousand volunteers at most; the cap keeps one request bounded.
MAX_EXPORT_ROWS = 20_000


def volunteer_columns() -> list[ColumnSpec]:
    def column(name: str, zh: str, en: str, export: object) -> ColumnSpec:
        return ColumnSpec(name=name, header_zh=zh, header_en=en, parse=text(200), export=export)  # type: ignore[arg-type]

    return [
        column("id", "编号", "ID", lambda r: r.profile.id),
        column("name", "姓名", "Name", lambda r: r.user.display_name),
        column("grid", "网格", "Grid", lambda r: r.grid.code),
        column("segment", "类别", "Group", lambda r: r.profile.segment),
        column("party_member", "党员", "Party member", lambda r: "1" if r.profile.is_party_member else "0"),
        column("phone", "电话（部分隐藏）", "Phone (partly hidden)", lambda r: r.phone_masked),
        column("hours_credited", "已计入工时", "Hours credited", lambda r: r.hours.credited),
        column("shifts_completed", "完成班次", "Shifts completed", lambda r: r.hours.shifts),
        column(
            "hours_before_platform", "平台启用前工时", "Hours before the platform", lambda r: r.hours.before_platform
        ),
        column("hours_all_time", "累计工时", "Hours in all", lambda r: r.hours.all_time),
        # The same headers as the import's (marketplace/exchange/volunteer_import.py), which reads them back.
        column("interests", "意向服务类型", "Work they want to do", lambda r: "、".join(c.label for c in r.interests)),
        column("completion_rate", "履约率", "Completion rate", lambda r: _percent(r.profile.reliability_rate)),
    ]


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.0f}%"


def volunteer_rows(db: Session, viewer: CurrentUser) -> list[VolunteerRow]:
    rows, _total = list_volunteers(db, viewer, page=1, page_size=MAX_EXPORT_ROWS)
    return rows


def export_volunteers(db: Session, viewer: CurrentUser, file_format: str) -> Response[bytes]:
    """The volunteers the viewer may see, as CSV or .xlsx in the reader's language."""
    language = "en" if str(current_locale.get()).startswith("en") else "zh"
    rows, columns = volunteer_rows(db, viewer), volunteer_columns()
    if file_format == "xlsx":
        body, media_type = write_xlsx(columns, rows, language, title="volunteers"), XLSX_MEDIA_TYPE
    else:
        body, media_type = write_csv(columns, rows, language), CSV_MEDIA_TYPE
    stamp = utcnow().astimezone(STREET_TIMEZONE).strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="volunteers-{stamp}.{file_format}"'
    return Response(body, media_type=media_type, headers={"Content-Disposition": disposition})
