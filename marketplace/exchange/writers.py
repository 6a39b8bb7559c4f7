"""Writing a list as CSV (UTF-8 with BOM, so Excel opens Chinese correctly) or .xlsx, formulas neutralised.

Values are written for the person reading the file, in their language: a vocabulary value (status,
channel, category, kind, ...) as its label, yes/no as words, a quantity as a number, a day as a date and
a time of day as a date-time. The importers read the labels back in either language (``columns.choice``),
so an exported file can be imported again.

The .xlsx is written with XlsxWriter in its constant-memory mode (each row goes to a temporary file as the next
begins), with its header row frozen, an auto-filter on it and column widths from the header and the first rows.
XlsxWriter took about half the CPU of openpyxl's write-only mode for the same cells (benchmarks/export_cpu.py);
openpyxl still reads the files people upload.
"""

import csv
import io
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from itertools import chain, islice
from typing import IO, Any

from marketplace.exchange.columns import ColumnSpec, header_for
from marketplace.i18n import N_, current_locale
from marketplace.i18n import gettext as _
from marketplace.street_clock import street_day

# OWASP "CSV injection": a cell starting with one of these may be run as a formula by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Their look-alikes count too: a spreadsheet with East Asian input (or one that folds width) reads a full-width
# ＝＋－＠ as the ASCII sign. NFKC folds full-width, small (﹦﹢﹣﹫), superscript and subscript forms to
# FORMULA_STARTS; the minus sign U+2212 and the heavy signs are added by hand, as NFKC keeps them.
LOOKALIKE_STARTS = ("\u2212", "\u2795", "\u2796")
# Spaces a cell may start with before its sign (some spreadsheets skip them): ASCII, no-break, ideographic.
LEADING_SPACES = " \u00a0\u3000"
# Litestar appends "; charset=utf-8" to text media types itself.
CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WIDTH_SAMPLE_ROWS = 200  # column widths are measured on the header and this many first rows
MIN_WIDTH, MAX_WIDTH = 6, 48
DATE_FORMAT, MOMENT_FORMAT, RATE_FORMAT = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "0%"
YES, NO = N_("Yes"), N_("No")
CHUNK_BYTES = 1 << 20  # pieces of a streamed .xlsx


class Rate(float):
    """A share between 0 and 1 (a completion rate): a number formatted as a percentage in .xlsx, "92%" in CSV."""


def _formula_head(char: str) -> bool:
    """Whether a cell whose first sign (after any spaces) is ``char`` could be read as a formula."""
    return (
        char.startswith(FORMULA_STARTS)
        or unicodedata.normalize("NFKC", char).startswith(FORMULA_STARTS)
        or char in LOOKALIKE_STARTS
    )


# Each first sign's answer, asked once per process (an export asks for every text cell: 60,000 a list).
_FORMULA_HEADS: dict[str, bool] = {}


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: its first sign (after any spaces) is one of
    FORMULA_STARTS or a look-alike of one."""
    head = text[:1]
    if head and head in LEADING_SPACES:
        head = text.lstrip(LEADING_SPACES)[:1]
    if not head:
        return False
    found = _FORMULA_HEADS.get(head)
    if found is None:
        found = _FORMULA_HEADS[head] = _formula_head(head)
    return found


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would treat as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and starts_formula(value):
        return "'" + value
    return value


@contextmanager
def reading_language(language: str) -> Iterator[None]:
    """Labels in the file's language, whoever runs the writer (a request or a background job)."""
    token = current_locale.set("en" if language == "en" else "zh_CN")
    try:
        yield
    finally:
        current_locale.reset(token)


def enum_label(value: Enum) -> str:
    """A vocabulary value's label in the current language (its code where the enum has no labels)."""
    label = getattr(value, "label", None)
    return str(label) if isinstance(label, str) else str(value.value)


# Per language and enum class, every member's label: built once, then a dict look-up per cell (asking each
# member for its translated label cost a gettext call a cell, 45,000 for a list of 10,000 volunteers).
_ENUM_LABELS: dict[tuple[str, type[Enum]], dict[Enum, str]] = {}


def enum_labels(kind: type[Enum]) -> dict[Enum, str]:
    """Every member of ``kind`` with its label in the current language (built the first time it is asked)."""
    key = (str(current_locale.get()), kind)
    found = _ENUM_LABELS.get(key)
    if found is None:
        found = _ENUM_LABELS[key] = {member: enum_label(member) for member in kind}
    return found


def _value(value: Any) -> Any:
    """A cell's value for .xlsx: labels for codes, numbers as numbers, days as dates; None stays empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _(YES) if value else _(NO)
    if isinstance(value, Enum):
        return enum_labels(type(value)).get(value) or enum_label(value)
    if isinstance(value, datetime):
        # Aware: a moment, written as the street's day (20:00 UTC is tomorrow there). Naive: already the
        # street's wall-clock time (a shift's start), written as a date-time.
        return street_day(value) if value.tzinfo is not None else value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, str):
        return neutralise(value)
    return value


def _text(value: Any) -> str:
    """The same value as CSV text."""
    value = _value(value)
    if value is None:
        return ""
    if isinstance(value, Rate):
        return f"{value * 100:.0f}%"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(str(value)).normalize(), "f")
    return str(value)


def _plain_text(value: str) -> str:
    return "'" + value if starts_formula(value) else value


def _decimal_value(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _number_text(value: int | float) -> str:
    return str(value) if isinstance(value, int) else format(Decimal(str(value)).normalize(), "f")


class Cells:
    """``_value`` and ``_text`` for a page of rows, in the current language, with the common types (text, whole
    numbers, None, yes/no, vocabulary values) answered by one look-up of the value's type: the same cells,
    about a third of the calls (an export once spent a third of its CPU in ``_value``/``_text``)."""

    def __init__(self) -> None:
        yes, no = _(YES), _(NO)
        self._text_of: dict[type, Any] = {
            str: _plain_text,
            int: str,
            type(None): lambda _v: "",
            bool: lambda v: yes if v else no,
            Decimal: lambda v: _number_text(_decimal_value(v)),
            float: _number_text,
            date: date.isoformat,
            Rate: lambda v: f"{v * 100:.0f}%",
        }
        self._value_of: dict[type, Any] = {
            str: _plain_text,
            int: lambda v: v,
            type(None): lambda _v: None,
            bool: lambda v: yes if v else no,
            Decimal: _decimal_value,
            float: lambda v: v,
            date: lambda v: v,
            Rate: lambda v: v,
        }

    def _labels(self, kind: type) -> Any:
        labels = enum_labels(kind)
        return lambda value: labels.get(value) or enum_label(value)

    def text(self, value: Any) -> str:
        kind = type(value)
        found = self._text_of.get(kind)
        if found is None:
            if isinstance(value, Enum) and not isinstance(value, bool):
                found = self._text_of[kind] = self._labels(kind)
            else:
                return _text(value)
        return found(value)  # type: ignore[no-any-return]

    def value(self, value: Any) -> Any:
        kind = type(value)
        found = self._value_of.get(kind)
        if found is None:
            if isinstance(value, Enum):
                found = self._value_of[kind] = self._labels(kind)
            else:
                return _value(value)
        return found(value)


def table_rows(columns: Sequence[ColumnSpec], rows: Iterable[Any]) -> Iterable[list[Any]]:
    """Each row's cells as CSV text (the caller sets the language: ``reading_language``)."""
    text = Cells().text
    exports = [column.export for column in columns]
    for row in rows:
        yield [text(export(row)) for export in exports]


def _csv_text(rows: Iterable[list[Any]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue()


def csv_chunks(columns: Sequence[ColumnSpec], pages: Iterable[Iterable[Any]], language: str = "zh") -> Iterator[bytes]:
    """The CSV file in pieces: the BOM and header, then one piece per page of rows. A download streamed from
    it holds one page in memory however long the list is; each piece sets the language itself, so the pieces
    may be written on different threads (a streamed response asks for each on a worker thread)."""
    yield b"\xef\xbb\xbf" + _csv_text([[header_for(column, language) for column in columns]]).encode("utf-8")
    for rows in pages:
        with reading_language(language):
            text = _csv_text(table_rows(columns, rows))
        yield text.encode("utf-8")


def write_csv(columns: Sequence[ColumnSpec], rows: Iterable[Any], language: str = "zh") -> bytes:
    return b"".join(csv_chunks(columns, [rows], language))


def _display_width(value: Any) -> int:
    """Roughly how many character widths a value takes in a spreadsheet (a Chinese character is two)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    text = str(value)
    return sum(2 if ord(char) > 0x2E80 else 1 for char in text)


def _cell_writers(workbook: Any, sheet: Any) -> dict[type, Any]:
    """For each type a cell's value can have (``Cells.value``), how it is written: text as text (never read as a
    formula, a number or a link: neutralise() has prefixed any that start like a formula), numbers as numbers,
    days and moments as dates in their format, nothing for None. One look-up of the value's type a cell."""
    codes = (DATE_FORMAT, MOMENT_FORMAT, RATE_FORMAT)
    day, moment, rate = (workbook.add_format({"num_format": code}) for code in codes)
    number = sheet.write_number
    return {
        str: lambda row, column, value: value and sheet.write_string(row, column, value),  # "" is an empty cell
        int: number,
        float: number,
        Rate: lambda row, column, value: number(row, column, value, rate),
        date: lambda row, column, value: sheet.write_datetime(row, column, value, day),
        datetime: lambda row, column, value: sheet.write_datetime(row, column, value, moment),
        type(None): lambda row, column, value: None,
    }


def _write_xlsx(
    columns: Sequence[ColumnSpec], rows: Iterable[Any], language: str, title: str, target: IO[bytes]
) -> None:
    import xlsxwriter

    # constant_memory: each row goes to a temporary file once the next begins, so memory holds one row.
    options = {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
    }
    workbook = xlsxwriter.Workbook(target, options)
    sheet = workbook.add_worksheet(title[:31])
    writers, bold = _cell_writers(workbook, sheet), workbook.add_format({"bold": True})
    count = 0
    with reading_language(language):
        header = [header_for(column, language) for column in columns]
        value, exports = Cells().value, [column.export for column in columns]
        values = ([value(export(row)) for export in exports] for row in rows)
        first = list(islice(values, WIDTH_SAMPLE_ROWS))
        for index, name in enumerate(header):
            widest = max([_display_width(name) + 3, *(_display_width(cells[index]) for cells in first)])
            sheet.set_column(index, index, max(MIN_WIDTH, min(MAX_WIDTH, widest + 2)))
        sheet.freeze_panes(1, 0)
        for index, name in enumerate(header):
            sheet.write_string(0, index, name, bold)
        for count, cells in enumerate(chain(first, values), start=1):
            for index, cell in enumerate(cells):
                found = writers.get(type(cell))
                if found is None:  # a subclass (a str or int subclass) as its base type; anything else as text
                    kinds = [write for kind, write in writers.items() if isinstance(cell, kind)]
                    found = kinds[0] if kinds else lambda row, column, value: writers[str](row, column, str(value))
                found(count, index, cell)
    sheet.autofilter(0, 0, count, max(1, len(columns)) - 1)
    workbook.close()


def write_xlsx(columns: Sequence[ColumnSpec], rows: Iterable[Any], language: str = "zh", title: str = "list") -> bytes:
    """The list as one sheet: header frozen and filterable, widths fitted, rows streamed (write-only mode)."""
    buffer = io.BytesIO()
    _write_xlsx(columns, rows, language, title, buffer)
    return buffer.getvalue()


def xlsx_chunks(
    columns: Sequence[ColumnSpec], pages: Iterable[Iterable[Any]], language: str = "zh", title: str = "list"
) -> Iterator[bytes]:
    """The .xlsx of every page of rows, in pieces: the workbook is written (page by page, to a temporary file)
    when the first piece is asked for, then read out. Memory holds a page of rows, never the file; the first
    byte leaves once the last row is written (a zip's directory comes last)."""
    with tempfile.TemporaryFile() as handle:
        _write_xlsx(columns, chain.from_iterable(pages), language, title, handle)
        handle.seek(0)
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk
