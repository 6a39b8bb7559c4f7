"""Large imports and exports of the need list as background jobs (kinds ``exchange.import``, ``exchange.export``);
and the volunteer and organization directories' .xlsx files too long to write within a request.

A file of more than ``IMPORT_JOB_ROWS`` rows (or one sent with "run in the background") is stored under
the var dir and imported by a job: the rows are checked, then written in ONE transaction that ends with
the job's fence, so a job claimed twice writes its needs once; progress is reported per batch of rows.
An export asked for in the background is written by a job to a file under the var dir, which the person
who asked downloads from the job's page; files older than ``RETENTION`` are removed.

Both run as the person who asked (their user row read again when the job runs): a street admin's or a
staff member's scope is the one the pages apply, since the same services do the work.
"""

import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.i18n import current_locale
from marketplace.security.identity import CurrentUser, load_current_user
from marketplace.settings import Settings

IMPORT_JOB_ROWS = 2000  # a larger file is imported by a job, not in the request
BATCH = 200  # rows between two progress reports
RETENTION = timedelta(days=1)  # an export's file, and an import's upload, are kept this long
FORMATS = ("csv", "xlsx")


def exchange_dir(settings: Settings) -> Path:
    directory = Path(settings.var_dir) / "exchange"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def remove_old_files(settings: Settings, retention: timedelta = RETENTION) -> int:
    """Remove exports and uploads older than the retention; how many went."""
    cutoff = time.time() - retention.total_seconds()
    removed = 0
    for path in exchange_dir(settings).iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue
    return removed


def store_upload(settings: Settings, filename: str, content: bytes) -> str:
    """Keep an uploaded file for its import job; returns its name under the exchange dir."""
    suffix = ".xlsx" if filename.lower().endswith(".xlsx") else ".csv"
    name = f"upload-{uuid.uuid4().hex}{suffix}"
    (exchange_dir(settings) / name).write_bytes(content)
    return name


def export_file(settings: Settings, job_id: int, file_format: str) -> Path:
    return exchange_dir(settings) / f"export-{job_id}.{file_format}"


def _actor(reader: sessionmaker[Session], user_id: int | None) -> CurrentUser:
    with reader() as db:
        actor = load_current_user(db, user_id) if user_id else None
    if actor is None:
        raise PermissionError("the person who asked for this job no longer has an active account")
    return actor


def run_import(ctx: Any) -> dict[str, Any]:
    """Import a stored upload as its uploader: check, then write all (or the valid rows) in one fenced transaction."""
    from marketplace.exchange.need_import import import_needs
    from marketplace.exchange.readers import read_table

    arguments = ctx.arguments
    path = exchange_dir(ctx.settings) / Path(str(arguments["upload"])).name
    if not path.is_file():
        raise FileNotFoundError("the uploaded file is gone (kept for a day); upload it again")
    actor = _actor(ctx.reader, ctx.started_by_id)
    token = current_locale.set(str(arguments.get("language") or "zh_CN"))
    try:
        table = read_table(str(arguments.get("filename") or path.name), path.read_bytes())
        total = len(table.rows)
        ctx.progress("checking", 0, total)
        with session_scope(ctx.writer) as db:
            result = import_needs(
                db,
                actor,
                table,
                only_valid=bool(arguments.get("only_valid")),
                filename=str(arguments.get("filename") or ""),
                progress=lambda stage, done: ctx.progress(stage, done, total),
            )
            # Last, just before the commit: the needs land only while this worker still holds the job.
            ctx.fence(db)
    finally:
        current_locale.reset(token)
    if not result.refused:
        path.unlink(missing_ok=True)
    summary = result.as_dict()
    summary["problems"] = summary["problems"][:200]  # the row-by-row report is capped on the job row
    summary["refused"] = result.refused
    return summary


def run_export(ctx: Any) -> dict[str, Any]:
    """Write the need list (the asker's scope and filters), or with ``list`` "volunteers" or "organizations"
    that directory (the page's query string), to a file under the var dir for them to download: read a page
    at a time (exchange.paging), progress told per page; memory holds one page, however long the list."""
    from marketplace.exchange import organizations, volunteers
    from marketplace.exchange.need_columns import export_columns
    from marketplace.exchange.need_import import export_pages
    from marketplace.exchange.writers import csv_chunks, xlsx_chunks
    from marketplace.needs import services
    from marketplace.organizations import services as organizations_services
    from marketplace.volunteers import services as volunteers_services

    remove_old_files(ctx.settings)
    arguments = ctx.arguments
    file_format = str(arguments.get("format"))
    if file_format not in FORMATS:
        raise ValueError(f"unknown export format {file_format!r}")
    actor = _actor(ctx.reader, ctx.started_by_id)
    listing = str(arguments.get("list") or "needs")
    if listing not in LISTS:
        raise ValueError(f"unknown list {listing!r}")
    query = {str(key): str(value) for key, value in dict(arguments.get("query") or {}).items()}
    language = "en" if str(arguments.get("language", "")).startswith("en") else "zh"
    target = export_file(ctx.settings, ctx.job_id, file_format)
    partial = target.with_suffix(f".{uuid.uuid4().hex[:8]}.part")
    written = 0
    token = current_locale.set("en" if language == "en" else "zh_CN")  # the filters' problems, if any
    try:
        with ctx.reader() as db:
            pages: Iterator[list[Any]]
            if listing == "volunteers":
                columns = volunteers.volunteer_columns(language)
                pages = volunteers.volunteer_pages(db, actor, volunteers_services.parse_filters(query))
            elif listing == "organizations":
                columns = organizations.organization_columns(language)
                pages = organizations.organization_pages(db, actor, organizations_services.parse_filters(query))
            else:
                columns = export_columns(language)
                filters = services.filters_in(arguments.get("filters") or {})
                pages = export_pages(db, actor, filters)
            total = int(arguments.get("rows") or 0)
            ctx.progress("writing", 0, total)

            def told(source: Iterator[list[Any]]) -> Iterator[list[Any]]:
                nonlocal written
                for rows in source:
                    yield rows
                    written += len(rows)
                    ctx.progress("writing", written, max(total, written))

            chunks = (
                xlsx_chunks(columns, told(pages), language, title=listing)
                if file_format == "xlsx"
                else csv_chunks(columns, told(pages), language)
            )
            with partial.open("wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
    finally:
        current_locale.reset(token)
    partial.replace(target)  # whole or absent: a download never reads half a file
    stamp = utcnow().strftime("%Y%m%d-%H%M")
    return {
        "rows": written,
        "format": file_format,
        "file": f"{listing}-{stamp}.{file_format}",
        "bytes": target.stat().st_size,
    }


LISTS = ("needs", "volunteers", "organizations")
