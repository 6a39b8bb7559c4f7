"""The organizations directory's file, for staff and admins: exactly the filtered list, in the reader's language.

The contact person and phone are masked as on the page, for every role (a list, like the need list's export):
no personal data in clear, so no audit row; sent with ``Cache-Control: no-store``.
"""

from typing import Any

from litestar import Response
from sqlmodel import Session

from marketplace.exchange.columns import ColumnSpec, text
from marketplace.exchange.volunteers import download, reader_language
from marketplace.exchange.writers import write_csv, write_xlsx
from marketplace.organizations.directory import OrganizationFilters, OrganizationRow, search_organizations
from marketplace.security.identity import CurrentUser

MAX_EXPORT_ROWS = 20_000


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


def organization_rows(db: Session, viewer: CurrentUser, filters: OrganizationFilters) -> list[OrganizationRow]:
    return search_organizations(db, viewer, filters, page=1, page_size=MAX_EXPORT_ROWS).rows


def export_organizations(
    db: Session, viewer: CurrentUser, file_format: str, filters: OrganizationFilters
) -> Response[bytes]:
    language = reader_language()
    rows, columns = organization_rows(db, viewer, filters), organization_columns(language)
    if file_format == "xlsx":
        body = write_xlsx(columns, rows, language, title="organizations")
    else:
        body = write_csv(columns, rows, language)
    return download(body, file_format, "organizations")
