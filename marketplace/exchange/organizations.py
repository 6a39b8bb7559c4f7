"""The organizations directory's file, for staff and admins: exactly the filtered list, in the reader's language.

The contact person and phone are masked as on the page, for every role (a list, like the need list's export):
no personal data in clear, so no audit row; sent with ``Cache-Control: no-store``.
"""

from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import Any

from litestar.datastructures import State
from litestar.response import Redirect, Stream
from sqlmodel import Session

from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.volunteers import (
    EXPORT_PAGE_ROWS,
    XLSX_IN_REQUEST_ROWS,
    export_in_background,
    later_pages,
    reader_language,
    stream_download,
)
from marketplace.organizations.directory import (
    OrganizationFilters,
    OrganizationRow,
    parse_filters,
    search_organizations,
)
from marketplace.security.identity import CurrentUser


def organization_columns(language: str = "zh") -> list[ColumnSpec]:
    english = language == "en"
    joiner = "; " if english else "、"

    def column(name: str, zh: str, en: str, export: Any) -> ColumnSpec:
        return ColumnSpec(name=name, header_zh=zh, header_en=en, parse=text(200), export=export)

    def named(item: Any) -> str:
        return str((item.name_en or item.name) if english else item.name)

    return [
        column("id", "编号", "ID", lambda r: r.organization.id),
        column("name", "名称", "Name", lambda r: named(r.organization)),
        column("credit_code", "统一社会信用代码", "Credit code", lambda r: r.organization.credit_code),
        column("kind", "类型", "Type", lambda r: r.organization.kind),
        column("status", "状态", "Status", lambda r: r.organization.status),
        column("communities", "服务社区", "Communities served", lambda r: joiner.join(named(c) for c in r.communities)),
        column(
            "categories", "在供资源类别", "Categories offered", lambda r: joiner.join(c.label for c in r.categories)
        ),
        column("open_offers", "在供资源数", "Open offers", lambda r: r.open_offers),
        column("contributions", "已完成对接", "Contributions", lambda r: r.contributions),
        column("contact", "联系人（已遮蔽）", "Contact (masked)", lambda r: r.contact_masked),
        column("phone", "联系电话（已遮蔽）", "Phone (masked)", lambda r: r.phone_masked),
        column("registered_on", "登记日期", "Registered on", lambda r: r.registered_on),
    ]


def organization_pages(
    db: Session, viewer: CurrentUser, filters: OrganizationFilters, *, start: int = 1
) -> Iterator[list[OrganizationRow]]:
    """The list's rows, EXPORT_PAGE_ROWS at a time, from page ``start`` to the last."""
    page = start
    while True:
        found = search_organizations(db, viewer, filters, page=page, page_size=EXPORT_PAGE_ROWS)
        if found.rows:
            yield found.rows
        if page >= found.pages:
            return
        page += 1


def export_organizations(
    db: Session, viewer: CurrentUser, file_format: str, query: Mapping[str, Any], state: State
) -> Stream | Redirect:
    """Every organization of the viewer's filtered list, streamed a page at a time (as the volunteers' file;
    a long .xlsx by a background job)."""
    language, filters = reader_language(), parse_filters(query)
    first = search_organizations(db, viewer, filters, page=1, page_size=EXPORT_PAGE_ROWS)
    if file_format == "xlsx" and first.total > XLSX_IN_REQUEST_ROWS:
        return export_in_background(state, viewer, "organizations", file_format, first.total, query)
    rest: Iterable[list[Any]] = ()
    if first.pages > 1:
        rest = later_pages(state.reader_factory, lambda reader: organization_pages(reader, viewer, filters, start=2))
    pages = chain([first.rows], rest)
    return stream_download(organization_columns(language), pages, file_format, "organizations", first.total, language)
