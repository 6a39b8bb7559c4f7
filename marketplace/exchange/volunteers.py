"""The volunteer directory's file, for staff and admins: exactly the filtered list, in the reader's language.

Volunteers register themselves; staff may also import the street's earlier register
(marketplace/exchange/volunteer_import.py), which reads the "Work they want to do" and "Completion rate"
columns of this file back. Names and phones are masked as on the page, for every role (as the need list's
export masks residents): the file never carries a person's contact in clear, so it needs no audit row, and
it is sent with ``Cache-Control: no-store``. Hours are those of marketplace.volunteers.hours: credited on the
platform, and, in its own column, what the street's earlier paper records brought along.
"""

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from litestar.datastructures import State
from litestar.response import Redirect, Stream
from sqlmodel import Session

from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.paging import Key, keyset_pages, stream_list
from marketplace.exchange.writers import Rate
from marketplace.i18n import current_locale
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.services import (
    DirectoryRow,
    VolunteerFilters,
    count_volunteers,
    export_listing,
    parse_filters,
)

# An export reads (and holds) paging.PAGE_ROWS rows at a time, however many the list has: memory stays bounded,
# and the file holds every row. (It once stopped at 20,000 rows without a word, a city having 100,000.)
# An .xlsx is sent only once its last row is written (a workbook's zip directory comes last): a longer list's
# .xlsx is written by a background job (20,000 rows took 21 s on a city), CSV always streams at once.
XLSX_IN_REQUEST_ROWS = 20_000


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


def volunteer_pages(db: Session, viewer: CurrentUser, filters: VolunteerFilters) -> Iterator[list[DirectoryRow]]:
    """The directory's rows in its order, a page at a time, each page after the last row seen
    (exchange.paging)."""

    statement, order, finish = export_listing(viewer, filters)
    keys = [Key(expr, descending) for expr, descending in order]
    for page in keyset_pages(db, statement, keys):
        yield finish(db, page)


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
