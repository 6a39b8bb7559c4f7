"""The organizations directory's file, for staff and admins: exactly the filtered list, in the reader's language.

The contact person and phone are masked as on the page, for every role (a list, like the need list's export):
no personal data in clear, so no audit row; sent with ``Cache-Control: no-store``.
"""

from collections.abc import Iterator, Mapping
from functools import partial
from typing import Any

from litestar.datastructures import State
from litestar.response import Redirect, Stream
from sqlmodel import Session

from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.paging import Key, keyset_pages, stream_list
from marketplace.exchange.volunteers import XLSX_IN_REQUEST_ROWS, export_in_background, reader_language
from marketplace.organizations.services import (
    OrganizationFilters,
    OrganizationRow,
    count_organizations,
    export_listing,
    parse_filters,
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
    db: Session, viewer: CurrentUser, filters: OrganizationFilters
) -> Iterator[list[OrganizationRow]]:
    """The directory's rows in its order, a page at a time, each page after the last row seen
    (exchange.paging)."""
    statement, order, finish = export_listing(viewer, filters)
    keys = [Key(expr, descending) for expr, descending in order]
    for page in keyset_pages(db, statement, keys):
        yield finish(db, page)


def export_organizations(
    db: Session, viewer: CurrentUser, file_format: str, query: Mapping[str, Any], state: State
) -> Stream | Redirect:
    """Every organization of the viewer's filtered list, streamed a page at a time (as the volunteers' file;
    a long .xlsx by a background job)."""
    language, filters = reader_language(), parse_filters(query)
    total = count_organizations(db, viewer, filters)
    if file_format == "xlsx" and total > XLSX_IN_REQUEST_ROWS:
        return export_in_background(state, viewer, "organizations", file_format, total, query)
    read = partial(organization_pages, viewer=viewer, filters=filters)
    return stream_list(
        state.reader_factory, read, organization_columns(language), file_format, "organizations", total, language
    )
