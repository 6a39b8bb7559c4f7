"""Import and export of the need list (CSV and Excel), for staff and admins, as pages.

/needs/import (GET the form, POST a file: the row-by-row report) and /needs/export.csv, /needs/export.xlsx
(the staff need list's filters). The staff list's own controller also lives under /needs; these paths do
not collide with its /needs/{id} routes.
"""

from functools import partial
from typing import Any

from litestar import Controller, Response, get, post
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromQuery
from litestar.response import Template
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.types import utcnow
from marketplace.exchange.need_columns import export_columns, import_columns
from marketplace.exchange.need_import import NeedImportResult, export_rows, import_needs
from marketplace.exchange.readers import UPLOAD_BODY_LIMIT
from marketplace.exchange.too_large import too_large_page
from marketplace.exchange.upload_form import UploadForm, import_page, import_upload
from marketplace.exchange.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, write_csv, write_xlsx
from marketplace.i18n import current_locale
from marketplace.needs import services
from marketplace.needs.models import NeedStatus
from marketplace.pages import PAGE_EXCEPTION_HANDLERS
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser
from marketplace.validation import STREET_TZ
from marketplace.vocabulary import Category, IntakeChannel, Urgency


def _language() -> str:
    return "en" if str(current_locale.get()).startswith("en") else "zh"


def export_response(
    db: Session, actor: CurrentUser, filters: services.NeedFilters, file_format: str
) -> Response[bytes]:
    """The staff need list as a download, in the reader's language; names and phones masked, no addresses."""
    rows = export_rows(db, actor, filters)
    columns = export_columns()
    if file_format == "xlsx":
        body, media_type = write_xlsx(columns, rows, _language(), title="needs"), XLSX_MEDIA_TYPE
    else:
        body, media_type = write_csv(columns, rows, _language()), CSV_MEDIA_TYPE
    stamp = utcnow().astimezone(STREET_TZ).strftime("%Y%m%d-%H%M")
    disposition = f'attachment; filename="needs-{stamp}.{file_format}"'
    # An export holds residents' (masked) data: no shared cache keeps a copy.
    headers = {"Content-Disposition": disposition, "Cache-Control": "no-store"}
    return Response(body, media_type=media_type, headers=headers)


class NeedExchangeController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _page(
        self,
        db: Session,
        *,
        result: NeedImportResult | None = None,
        problem: str | None = None,
        status_code: int = 200,
    ) -> Template:
        return import_page(
            db,
            "needs/exchange/import.html",
            columns=import_columns(),
            active_page="needs",
            result=result,
            problem=problem,
            status_code=status_code,
        )

    @get("/import", name="needs:import-form", sync_to_thread=True)
    def import_form(self, reader: ReaderSession) -> Template:
        return self._page(reader)

    # The body limit is enforced while the body streams in (413 beyond it).
    @post(
        "/import",
        name="needs:import",
        sync_to_thread=True,
        request_max_body_size=UPLOAD_BODY_LIMIT,
        exception_handlers={RequestEntityTooLarge: too_large_page},
    )
    def import_file(self, db: DbSession, actor: Actor, data: UploadForm) -> Template:
        return import_upload(
            data,
            lambda table, only_valid, filename: import_needs(
                db, actor, table, only_valid=only_valid, filename=filename
            ),
            partial(self._page, db),
        )

    @get("/export.csv", name="needs:export-csv", sync_to_thread=True)
    def export_csv(
        self,
        reader: ReaderSession,
        actor: Actor,
        status: FromQuery[NeedStatus | None] = None,
        category: FromQuery[Category | None] = None,
        grid: FromQuery[int | None] = None,
        channel: FromQuery[IntakeChannel | None] = None,
        urgency: FromQuery[Urgency | None] = None,
        to_review: FromQuery[bool] = False,
    ) -> Response[bytes]:
        filters = services.NeedFilters(status, category, grid, channel, urgency, to_review)
        return export_response(reader, actor, filters, "csv")

    @get("/export.xlsx", name="needs:export-xlsx", sync_to_thread=True)
    def export_xlsx(
        self,
        reader: ReaderSession,
        actor: Actor,
        status: FromQuery[NeedStatus | None] = None,
        category: FromQuery[Category | None] = None,
        grid: FromQuery[int | None] = None,
        channel: FromQuery[IntakeChannel | None] = None,
        urgency: FromQuery[Urgency | None] = None,
        to_review: FromQuery[bool] = False,
    ) -> Response[bytes]:
        filters = services.NeedFilters(status, category, grid, channel, urgency, to_review)
        return export_response(reader, actor, filters, "xlsx")


NEED_EXCHANGE_HANDLERS: list[Any] = [NeedExchangeController]
