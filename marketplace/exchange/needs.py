"""Import and export of the need list (CSV and Excel), for staff and admins, as pages.

/needs/import (GET the form, POST a file: the row-by-row report) and /needs/export.csv, /needs/export.xlsx
(the staff need list's filters, read as the list reads them). The staff list's own controller also lives under
/needs; these paths do not collide with its /needs/{id} routes.
"""

from functools import partial
from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import State, UploadFile
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Stream, Template
from litestar.status_codes import HTTP_303_SEE_OTHER
from sqlmodel import Session

from marketplace.db.deps import DbSession, ReaderSession
from marketplace.db.engine import session_scope
from marketplace.exchange import jobs as exchange_jobs
from marketplace.exchange import volunteers as volunteer_export
from marketplace.exchange.import_reports import ImportReport, find_report
from marketplace.exchange.need_columns import export_columns, import_columns
from marketplace.exchange.need_import import export_pages, import_needs
from marketplace.exchange.paging import stream_list
from marketplace.exchange.readers import MAX_BYTES, UPLOAD_BODY_LIMIT, TableProblem, read_table
from marketplace.exchange.too_large import too_large_page
from marketplace.exchange.upload_form import UploadForm, import_page, import_upload
from marketplace.i18n import current_locale
from marketplace.needs import services
from marketplace.pages import PAGE_EXCEPTION_HANDLERS
from marketplace.security.deps import Actor
from marketplace.security.guards import sessions_only, staff_or_admin
from marketplace.security.identity import CurrentUser


def _language() -> str:
    return "en" if str(current_locale.get()).startswith("en") else "zh"


def _wanted(value: Any) -> bool:
    return str(value or "") in ("1", "on", "true")


def start_job(state: State, actor: CurrentUser, kind: str, arguments: dict[str, Any]) -> Redirect:
    """Queue an import or export as a job of the person asking, and send them to its page."""
    from marketplace.jobs import services as jobs
    from marketplace.jobs import services as jobs_services

    with session_scope(state.session_factory) as db:
        # The street it works for: a street admin's or staff member's own (a city admin's: every street, NULL).
        job_id = jobs.enqueue(db, kind, arguments, started_by_id=actor.id, street_id=actor.street_id).id or 0
    jobs_services.submit(state.settings, state.session_factory, state.reader_factory, job_id)
    return Redirect(path=f"/admin/jobs/{job_id}", status_code=HTTP_303_SEE_OTHER)


def import_in_background(state: State, actor: CurrentUser, data: dict[str, Any]) -> Redirect | None:
    """A file of more than IMPORT_JOB_ROWS rows, or one sent with background=1, becomes an exchange.import
    job (its page shows the progress and the report); None: import it in the request as before."""
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    content = upload.file.read(MAX_BYTES + 1)
    upload.file.seek(0)
    try:
        rows = len(read_table(upload.filename, content).rows)
    except TableProblem:
        return None  # the request's own path reports it
    if rows <= exchange_jobs.IMPORT_JOB_ROWS and not _wanted(data.get("background")):
        return None
    arguments = {
        "upload": exchange_jobs.store_upload(state.settings, upload.filename, content),
        "filename": upload.filename[:200],
        "only_valid": _wanted(data.get("only_valid")),
        "language": str(current_locale.get()),
        "rows": rows,
    }
    return start_job(state, actor, "exchange.import", arguments)


def export_response(
    state: State, db: Session, actor: CurrentUser, filters: services.NeedFilters, file_format: str
) -> Stream | Redirect:
    """Every need of the staff list (its filters, scope and order) as a download in the reader's language;
    names and phones masked, no addresses. Read a page at a time while it streams (exchange.paging); an .xlsx
    longer than XLSX_IN_REQUEST_ROWS is written by a background job, whose page offers it."""
    total = services.count_needs(db, actor, filters)
    if file_format == "xlsx" and total > volunteer_export.XLSX_IN_REQUEST_ROWS:
        return export_job(state, actor, filters, file_format, total)
    return stream_list(
        state.reader_factory,
        lambda reader: export_pages(reader, actor, filters),
        export_columns(_language()),
        file_format,
        "needs",
        total,
        _language(),
    )


def export_job(
    state: State, actor: CurrentUser, filters: services.NeedFilters, file_format: str, rows: int = 0
) -> Redirect:
    """The export as an exchange.export job (background=1, or a long .xlsx): its page offers the file to the
    asker when done."""
    arguments = {
        "format": file_format,
        "filters": services.filters_out(filters),
        "language": _language(),
        "rows": rows,
    }
    return start_job(state, actor, "exchange.export", arguments)


class NeedExchangeController(Controller):
    path = "/needs"
    guards = [staff_or_admin, sessions_only]
    include_in_schema = False
    exception_handlers = PAGE_EXCEPTION_HANDLERS

    def _page(
        self,
        db: Session,
        *,
        result: ImportReport | None = None,
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
    def import_file(self, state: State, db: DbSession, actor: Actor, data: UploadForm) -> Template | Redirect:
        queued = import_in_background(state, actor, data)
        if queued is not None:
            return queued
        return import_upload(
            db,
            actor,
            "needs",
            data,
            lambda table, only_valid, filename: import_needs(
                db, actor, table, only_valid=only_valid, filename=filename
            ),
            partial(self._page, db),
        )

    @get("/import/{report_id:int}", name="needs:import-report", sync_to_thread=True)
    def import_report(self, reader: ReaderSession, actor: Actor, report_id: FromPath[int]) -> Template:
        """An import's report, at its own address: a reload shows it again and imports nothing."""
        return self._page(reader, result=find_report(reader, actor, "needs", report_id))

    @get("/export.csv", name="needs:export-csv", sync_to_thread=True, dependencies=services.LIST_FILTERS)
    def export_csv(
        self,
        state: State,
        reader: ReaderSession,
        actor: Actor,
        filters: services.ListFilters,
        background: FromQuery[bool] = False,
    ) -> Stream | Redirect:
        """The rows the list shows for the same query string (services.staff_list_filters)."""
        if background:
            return export_job(state, actor, filters, "csv")
        return export_response(state, reader, actor, filters, "csv")

    @get("/export.xlsx", name="needs:export-xlsx", sync_to_thread=True, dependencies=services.LIST_FILTERS)
    def export_xlsx(
        self,
        state: State,
        reader: ReaderSession,
        actor: Actor,
        filters: services.ListFilters,
        background: FromQuery[bool] = False,
    ) -> Stream | Redirect:
        """The rows the list shows for the same query string (services.staff_list_filters)."""
        if background:
            return export_job(state, actor, filters, "xlsx")
        return export_response(state, reader, actor, filters, "xlsx")


NEED_EXCHANGE_HANDLERS: list[Any] = [NeedExchangeController]
