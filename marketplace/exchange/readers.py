"""Reading an uploaded table: CSV (UTF-8, UTF-8 with BOM, or GBK/GB18030 from Excel on Chinese Windows) or .xlsx.

Every upload comes from outside, so every dimension is bounded before it can cost memory or time: bytes
(and the request body, see ``UPLOAD_BODY_LIMIT``), rows (every row counts, empty ones too), columns, the
length of a cell, and for .xlsx the zip itself (members, uncompressed sizes, compression ratio, shared
strings) checked on the central directory before openpyxl opens it. Reading stops at the first limit.
"""

import csv
import io
import re
import threading
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marketplace.i18n import gettext as _

MAX_BYTES = 5 * 1024 * 1024
# The request body holds the file plus the form's other fields and multipart headers.
UPLOAD_BODY_LIMIT = MAX_BYTES + 64 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 100
MAX_CELL_CHARS = 10_000
# .xlsx: a real 5,000-row sheet is a few MB of XML; a zip bomb is hundreds of MB from a small file.
MAX_ZIP_MEMBERS = 200
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024
MAX_MEMBER_UNCOMPRESSED = 32 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024  # small members (styles, a tiny sheet) may compress as well as they like
MAX_SHARED_STRINGS = (MAX_ROWS + 1) * MAX_COLUMNS
# At most two uploads are parsed at the same time, so their memory adds up to a known bound.
_parsing = threading.BoundedSemaphore(2)


class TableProblem(Exception):
    """The file as a whole cannot be read (size, format, encoding, header); the message is translated."""


@dataclass
class Table:
    headers: list[str]
    # Data rows as text cells, with the spreadsheet row number (the header is row 1).
    rows: list[tuple[int, list[str]]]


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError:
            raise TableProblem(_("The file is neither UTF-8 nor GBK text; save it as CSV UTF-8 or as .xlsx.")) from None
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


def _too_many_rows(filename: str, max_rows: int) -> TableProblem:
    return TableProblem(
        _(
            "%(file)s has more than %(max)d rows (empty rows count too); at most %(max)d rows can be imported "
            "at once. Delete the rows below your data or split the file."
        )
        % {"file": filename, "max": max_rows}
    )


def _too_many_columns(filename: str, row: int) -> TableProblem:
    return TableProblem(
        _("%(file)s has more than %(max)d columns (row %(row)d); at most %(max)d columns can be read.")
        % {"file": filename, "max": MAX_COLUMNS, "row": row}
    )


def _cell_too_long(filename: str, row: int) -> TableProblem:
    return TableProblem(
        _("%(file)s has a cell longer than %(max)d characters (row %(row)d).")
        % {"file": filename, "max": MAX_CELL_CHARS, "row": row}
    )


def _bounded_rows(filename: str, rows: Iterable[list[str]], max_rows: int) -> list[list[str]]:
    """The rows, trimmed of trailing empty cells; stops at the first row or column or cell beyond a limit."""
    kept: list[list[str]] = []
    for number, row in enumerate(rows, start=1):
        if number > max_rows + 1:  # the header and max_rows more, whatever they hold
            raise _too_many_rows(filename, max_rows)
        while row and not row[-1].strip():
            row.pop()
        if len(row) > MAX_COLUMNS:
            raise _too_many_columns(filename, number)
        if any(len(cell) > MAX_CELL_CHARS for cell in row):
            raise _cell_too_long(filename, number)
        kept.append(row)
    return kept


def read_csv(data: bytes, max_rows: int = MAX_ROWS, filename: str = "") -> Table:
    text = _decode(data)
    if "\x00" in text:
        raise TableProblem(_("The file contains NUL bytes; it does not look like a CSV file."))
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        rows = _bounded_rows(filename, reader, max_rows)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise _cell_too_long(filename, reader.line_num) from None
        raise TableProblem(
            _("%(file)s is not readable as CSV near line %(line)d.") % {"file": filename, "line": reader.line_num}
        ) from None
    return _table(rows, max_rows)


def _zip_problem(filename: str, reason: str) -> TableProblem:
    return TableProblem(_("%(file)s is refused: %(reason)s") % {"file": filename, "reason": reason})


_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")


def _count_shared_strings(archive: zipfile.ZipFile, name: str, filename: str) -> None:
    """Count the shared strings as a byte stream (openpyxl would load them all at once)."""
    count = 0
    carry = b""  # a tag cut between two chunks is found in the next one
    with archive.open(name) as member:
        while chunk := member.read(1024 * 1024):
            window = carry + chunk
            count += len(_SHARED_STRING.findall(window))
            carry = window[-32:]
            count -= len(_SHARED_STRING.findall(carry))  # counted again with the next chunk
            if count > MAX_SHARED_STRINGS:
                raise _zip_problem(
                    filename,
                    _("the workbook has more than %(max)d shared strings.") % {"max": MAX_SHARED_STRINGS},
                )


def check_xlsx_archive(data: bytes, filename: str = "") -> None:
    """Refuse a zip bomb from its central directory before anything is decompressed."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TableProblem(_("The file is not a readable .xlsx workbook.")) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise _zip_problem(filename, _("the workbook has more than %(max)d parts.") % {"max": MAX_ZIP_MEMBERS})
        total = sum(member.file_size for member in members)
        if total > MAX_XLSX_UNCOMPRESSED:
            raise _zip_problem(
                filename,
                _("it unpacks to %(size)d MB; at most %(max)d MB are read.")
                % {"size": total // 1_048_576, "max": MAX_XLSX_UNCOMPRESSED // 1_048_576},
            )
        for member in members:
            if member.file_size > MAX_MEMBER_UNCOMPRESSED:
                raise _zip_problem(
                    filename,
                    _("its part %(part)s unpacks to %(size)d MB; at most %(max)d MB are read.")
                    % {
                        "part": member.filename[:80],
                        "size": member.file_size // 1_048_576,
                        "max": MAX_MEMBER_UNCOMPRESSED // 1_048_576,
                    },
                )
            ratio = member.file_size / max(member.compress_size, 1)
            if member.file_size > RATIO_CHECKED_FROM and ratio > MAX_COMPRESSION_RATIO:
                raise _zip_problem(
                    filename,
                    _("its part %(part)s is compressed %(ratio)d times; at most %(max)d times is accepted.")
                    % {"part": member.filename[:80], "ratio": int(ratio), "max": MAX_COMPRESSION_RATIO},
                )
        names = {member.filename for member in members}
        try:
            if "xl/sharedStrings.xml" in names:
                _count_shared_strings(archive, "xl/sharedStrings.xml", filename)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError):
            raise TableProblem(_("The file is not a readable .xlsx workbook.")) from None


def _sheet_rows(sheet: Any) -> Iterator[list[str]]:
    # max_col bounds the padding openpyxl adds from the sheet's (untrusted) dimension; one column more
    # than allowed shows a sheet that is too wide.
    for values in sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True):
        yield [_cell_text(value) for value in values]


def read_xlsx(data: bytes, max_rows: int = MAX_ROWS, filename: str = "") -> Table:
    check_xlsx_archive(data, filename)
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds on a malformed workbook; all mean the same to the user
        raise TableProblem(_("The file is not a readable .xlsx workbook.")) from None
    try:
        if not workbook.worksheets:
            raise TableProblem(_("The file is not a readable .xlsx workbook."))
        rows = _bounded_rows(filename, _sheet_rows(workbook.worksheets[0]), max_rows)
    except TableProblem:
        raise
    except Exception:
        raise TableProblem(_("The file is not a readable .xlsx workbook.")) from None
    finally:
        workbook.close()
    return _table(rows, max_rows)


def _table(rows: list[list[str]], max_rows: int) -> Table:
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(cell.strip() for cell in row)]
    if not numbered:
        raise TableProblem(_("The file is empty."))
    (_first, headers), data = numbered[0], numbered[1:]
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
    shown = filename[:100]
    with _parsing:
        if name.endswith(".xlsx"):
            return read_xlsx(data, max_rows, shown)
        if name.endswith((".csv", ".txt")):
            return read_csv(data, max_rows, shown)
    raise TableProblem(_("Upload a .csv or .xlsx file."))
