"""An import page and its upload: read the form's file, check and import it, redirect to its report.

Every register with an import page (needs, offers, volunteers) reads its upload the same way: a
missing file or an unreadable table is the page again with a 400 and the problem; a refused import
(rows with problems and "only valid rows" not ticked) writes nothing and is the page with the
row-by-row report and a 400. An import that ran keeps its report (exchange/import_reports.py) and
redirects (303) to the report's own address, so a reload shows the report and imports nothing. The
memory a parse took is handed back whatever happened.
"""

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Protocol

from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_303_SEE_OTHER, HTTP_400_BAD_REQUEST
from sqlmodel import Session

from marketplace.exchange.import_reports import keep_report, report_of
from marketplace.exchange.memory import release_memory_soon
from marketplace.exchange.readers import MAX_BYTES, MAX_ROWS, Table, TableProblem, read_table
from marketplace.i18n import gettext as _
from marketplace.pages import page_context
from marketplace.security.identity import CurrentUser

UploadForm = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


class ImportPage(Protocol):
    def __call__(self, *, result: Any = None, problem: str | None = None, status_code: int = 200) -> Template: ...


def import_upload(
    db: Session,
    actor: CurrentUser,
    listing: str,
    data: dict[str, Any],
    run: Callable[[Table, bool, str], Any],
    page: ImportPage,
) -> Template | Redirect:
    """``run(table, only_valid, filename)`` imports the checked table in ``db``'s transaction; ``page`` renders
    the import page of ``listing`` (needs, offers, volunteers), whose report lives at /<listing>/import/<id>."""
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return page(problem=_("Choose a .csv or .xlsx file."), status_code=HTTP_400_BAD_REQUEST)
    content = upload.file.read(MAX_BYTES + 1)
    only_valid = str(data.get("only_valid", "")) in ("1", "on", "true")
    try:
        table = read_table(upload.filename, content)
        result = run(table, only_valid, upload.filename)
    except TableProblem as problem:
        return page(problem=str(problem), status_code=HTTP_400_BAD_REQUEST)
    finally:
        release_memory_soon()
    report = report_of(listing, result, upload.filename)
    if report.refused:
        return page(result=report, status_code=HTTP_400_BAD_REQUEST)
    report_id = keep_report(db, actor, report)
    return Redirect(path=f"/{listing}/import/{report_id}", status_code=HTTP_303_SEE_OTHER)


def import_page(
    db: Session,
    template: str,
    *,
    columns: Sequence[Any],
    active_page: str,
    result: Any = None,
    problem: str | None = None,
    status_code: int = 200,
) -> Template:
    """An import page: the form, its limits and columns, and the report of the last upload if any."""
    context = page_context(
        db,
        result=result,
        problem=problem,
        columns=columns,
        max_rows=MAX_ROWS,
        max_mb=MAX_BYTES // 1_048_576,
        active_page=active_page,
    )
    return Template(template, context=context, status_code=status_code)
