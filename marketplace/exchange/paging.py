"""Every list export's one way through its list: keyset pages, a streamed file, a job for a long .xlsx.

A list is read ``PAGE_ROWS`` rows at a time, each page starting after the last row seen (its order key and
id), not at an OFFSET: a page deep in a city's 100,000 needs costs what the first does (with OFFSET the
database walked every row before it, about 0.9 s a page on PostgreSQL). The file's order is the list's.
Memory holds one page, however long the list; no export stops at a cap (some once stopped at 5,000 or
50,000 rows without a word). The response names the count (``X-Export-Rows``).
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from litestar.response import Stream
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.exchange.columns import ColumnSpec
from marketplace.exchange.writers import CSV_MEDIA_TYPE, XLSX_MEDIA_TYPE, csv_chunks, xlsx_chunks
from marketplace.street_clock import STREET_TIMEZONE

# Rows read (and held) at a time by every export; tests lower it to cross pages with a few rows.
PAGE_ROWS = 1000


@dataclass(frozen=True)
class Key:
    """One expression of a list's order (the last is the row's id, so that the order is total)."""

    expr: Any
    descending: bool = False


def order_by(keys: Sequence[Key]) -> list[Any]:
    return [key.expr.desc() if key.descending else key.expr for key in keys]


def _nulls_after(dialect: str, key: Key) -> bool:
    """Whether NULL comes after every value in this key's direction: PostgreSQL sorts NULL as the largest
    value, SQLite as the smallest (the list's ORDER BY says neither, so its order is the database's)."""
    return (dialect == "postgresql") != key.descending


def _later(key: Key, value: Any, dialect: str) -> Any:
    """The rows that come after ``value`` on this key alone."""
    if isinstance(value, bool):  # a "has none" key (x IS NULL): true after false going up, never NULL
        if value != key.descending:
            return sa.false()
        return sa.not_(key.expr) if key.descending else sa.and_(key.expr)
    nulls_after = _nulls_after(dialect, key)
    if value is None:
        return key.expr.is_not(None) if not nulls_after else sa.false()
    beyond = key.expr < value if key.descending else key.expr > value
    return sa.or_(beyond, key.expr.is_(None)) if nulls_after else beyond


def _same(key: Key, value: Any) -> Any:
    if isinstance(value, bool):
        return sa.and_(key.expr) if value else sa.not_(key.expr)
    return key.expr.is_(None) if value is None else key.expr == value


def after(keys: Sequence[Key], last: Sequence[Any], dialect: str) -> Any:
    """The rows after ``last`` (the key values of the last row seen) in the order ``keys`` give."""
    either = []
    for index, key in enumerate(keys):
        equal = [_same(earlier, last[position]) for position, earlier in enumerate(keys[:index])]
        either.append(sa.and_(*equal, _later(key, last[index], dialect)))
    return sa.or_(*either)


def keyset_pages(
    db: Session,
    statement: sa.Select[Any],
    keys: Sequence[Key],
    *,
    page_rows: int | None = None,
    plain: bool = False,
) -> Iterator[list[Any]]:
    """The rows of ``statement`` (without its ORDER BY) in the order of ``keys``, a page at a time, every row
    once. Each page is the statement's rows as they are selected (the key columns are read alongside).
    ``plain``: a statement of columns only, run on the session's connection (no ORM loading of its rows)."""
    execute = db.connection().execute if plain else db.execute
    size = page_rows or PAGE_ROWS
    dialect = db.get_bind().dialect.name
    count = len(keys)
    labelled = [key.expr.label(f"export_key_{index}") for index, key in enumerate(keys)]
    last: tuple[Any, ...] | None = None
    while True:
        query = statement.order_by(None).add_columns(*labelled)
        if last is not None:
            query = query.where(after(keys, last, dialect))
        rows = execute(query.order_by(*order_by(keys)).limit(size)).all()
        if not rows:
            return
        last = tuple(rows[-1][-count:])
        yield [tuple(row[:-count]) for row in rows]
        if len(rows) < size:
            return


def later_pages(sessions: Callable[[], Session], read: Callable[[Session], Iterator[list[Any]]]) -> Iterator[list[Any]]:
    """``read``'s pages in a session of their own: the request's session is closed before a streamed body is
    written. Closed when the download ends, or is abandoned."""
    with sessions() as db:
        yield from read(db)


def stream_list(
    sessions: Callable[[], Session],
    read: Callable[[Session], Iterator[list[Any]]],
    columns: list[ColumnSpec],
    file_format: str,
    name: str,
    total: int,
    language: str,
    headers: dict[str, str] | None = None,
) -> Stream:
    """The whole list as a streamed download: ``read`` gives its pages (in a session of the app's readers,
    opened when the body is written). CSV leaves at once; an .xlsx once its last row is written to a
    temporary file. ``X-Export-Rows`` says how many rows the file holds."""
    pages: Iterable[list[Any]] = later_pages(sessions, read)
    response = stream_download(columns, pages, file_format, name, total, language)
    for header, value in (headers or {}).items():
        response.headers[header] = value
    return response


ROWS_HEADER = "X-Export-Rows"


def _media_type(file_format: str) -> str:
    return XLSX_MEDIA_TYPE if file_format == "xlsx" else CSV_MEDIA_TYPE


def _download_headers(file_format: str, name: str, rows: int | None = None) -> dict[str, str]:
    stamp = utcnow().astimezone(STREET_TIMEZONE).strftime("%Y%m%d-%H%M")
    headers = {
        "Content-Disposition": f'attachment; filename="{name}-{stamp}.{file_format}"',
        "Cache-Control": "no-store",
    }
    if rows is not None:
        headers[ROWS_HEADER] = str(rows)  # every row of the list is in the file; a client can check it
    return headers


def stream_download(
    columns: list[ColumnSpec],
    pages: Iterable[list[Any]],
    file_format: str,
    name: str,
    total: int,
    language: str,
) -> Stream:
    """The whole list as a streamed download (``writers.csv_chunks`` / ``xlsx_chunks``): one page of rows in
    memory at a time, however long the list."""
    chunks = (
        xlsx_chunks(columns, pages, language, title=name)
        if file_format == "xlsx"
        else csv_chunks(columns, pages, language)
    )
    return Stream(chunks, media_type=_media_type(file_format), headers=_download_headers(file_format, name, total))
