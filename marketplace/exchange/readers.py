"""Reading an uploaded table: CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030 from Excel on Chinese Windows) or .xlsx."""

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from marketplace.i18n import gettext as _

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000


class TableProblem(Exception):
    """The file as a whole cannot be read (size, format, encoding, header); the message is translated."""


@dataclass
class Table:
    headers: list[str]
    # Data rows as text cells, with the spreadsheet row number (the header is row 1).
    rows: list[tuple[int, list[str]]]


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK, what Excel saves as "CSV" on Chinese Windows
    except UnicodeDecodeError:
        raise TableProblem(_("The file is neither UTF-8 nor GBK text; save it as CSV UTF-8 or as .xlsx.")) from None


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value)


def _too_many(count: int, max_rows: int) -> TableProblem:
    return TableProblem(
        _("The file has %(count)d rows; at most %(max)d rows can be imported at once.")
        % {"count": count, "max": max_rows}
    )


def read_csv(data: bytes, max_rows: int = MAX_ROWS) -> Table:
    text = _decode(data)
    if "\x00" in text:
        raise TableProblem(_("The file contains NUL bytes; it does not look like a CSV file."))
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text, newline=""), dialect))
    return _table(rows, max_rows)


def read_xlsx(data: bytes, max_rows: int = MAX_ROWS) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise TableProblem(_("The file is not a readable .xlsx workbook.")) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            rows.append([_cell_text(value) for value in values])
            if len(rows) > max_rows + 1 and any(cell.strip() for cell in rows[-1]):
                raise _too_many(len(rows) - 1, max_rows)
    finally:
        workbook.close()
    return _table(rows, max_rows)


def _table(rows: list[list[str]], max_rows: int) -> Table:
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise TableProblem(_("The file is empty."))
    (_first, headers), data = numbered[0], numbered[1:]
    if len(data) > max_rows:
        raise _too_many(len(data), max_rows)
    if not data:
        raise TableProblem(_("The file has a header row but no data rows."))
    return Table(headers=[header.strip().lstrip("\ufeff") for header in headers], rows=data)


def read_table(filename: str, data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS) -> Table:
    """The table in an uploaded file, chosen by its extension; ``TableProblem`` when it cannot be read."""
    if len(data) > max_bytes:
        raise TableProblem(
            _("The file is %(size)s MB; at most %(max)s MB can be imported.")
            % {"size": f"{len(data) / 1_048_576:.1f}", "max": f"{max_bytes / 1_048_576:g}"}
        )
    if not data:
        raise TableProblem(_("The file is empty."))
    name = filename.lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data, max_rows)
    if name.endswith((".csv", ".txt")):
        return read_csv(data, max_rows)
    raise TableProblem(_("Upload a .csv or .xlsx file."))
