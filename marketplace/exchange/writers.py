"""Writing a list as CSV (UTF-8 with BOM, so Excel opens Chinese correctly) or .xlsx, formulas neutralised."""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from marketplace.exchange.columns import ColumnSpec, header_for
from marketplace.street_clock import street_day

# OWASP "CSV injection": a cell starting with one of these may be run as a formula by a spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Litestar appends "; charset=utf-8" to text media types itself.
CSV_MEDIA_TYPE = "text/csv"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would treat as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if hasattr(value, "value") and not isinstance(value, str | int | float | Decimal):
        value = value.value  # enums are written as their stable codes
    if isinstance(value, datetime):
        return street_day(value).isoformat()  # the street's day, not UTC's (a moment at 20:00 UTC is tomorrow there)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return neutralise(value) if isinstance(value, str) else value


def table_rows(columns: Sequence[ColumnSpec], rows: Iterable[Any]) -> Iterable[list[Any]]:
    for row in rows:
        yield [_cell(column.export(row)) for column in columns]


def write_csv(columns: Sequence[ColumnSpec], rows: Iterable[Any], language: str = "zh") -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow([header_for(column, language) for column in columns])
    for cells in table_rows(columns, rows):
        writer.writerow(cells)
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")


def write_xlsx(columns: Sequence[ColumnSpec], rows: Iterable[Any], language: str = "zh", title: str = "list") -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.append([header_for(column, language) for column in columns])
    for cells in table_rows(columns, rows):
        # Strings are stored as text cells (data_type "s"), never as formulas: openpyxl only makes a
        # formula of a string that starts with "=", and neutralise() has already prefixed those.
        sheet.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
