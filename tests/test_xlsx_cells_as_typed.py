"""A list's .xlsx holds each value as what it is, whichever library writes the file: text as text (a formula's
look-alike neutralised), numbers as numbers, a completion rate as a percentage, days and moments as dates in
their formats, yes/no and vocabulary values as words in the file's language, nothing for an empty value; the
header bold, frozen and filterable, columns wide enough. Read back with openpyxl, as an import reads it."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import openpyxl
import pytest

from marketplace.exchange.columns import ColumnSpec
from marketplace.exchange.writers import Rate, write_xlsx, xlsx_chunks
from marketplace.needs.models import NeedStatus

FIELDS = ["title", "formula", "count", "quantity", "share", "due", "starts", "seen", "note", "active", "status"]
ROWS: list[dict[str, Any]] = [
    {
        "title": "透水砖铺设",
        "formula": '=HYPERLINK("http://x")',
        "count": 12,
        "quantity": Decimal("3.50"),
        "share": Rate(0.92),
        "due": date(2026, 12, 24),
        "starts": datetime(2026, 12, 24, 8, 30),  # naive: the street's wall clock
        "seen": datetime(2026, 12, 24, 20, 0, tzinfo=UTC),  # aware: written as the street's day (the 25th)
        "note": "",
        "active": True,
        "status": NeedStatus.PUBLISHED,
    },
    {
        "title": "Lamp repair",
        "formula": "+86 138",
        "count": 0,
        "quantity": Decimal("40"),
        "share": Rate(0.0),
        "due": None,
        "starts": None,
        "seen": None,
        "note": None,
        "active": False,
        "status": NeedStatus.COMPLETED,
    },
]


def _columns() -> list[ColumnSpec]:
    return [
        ColumnSpec(name, f"列{index}", name.capitalize(), parse=str, export=lambda row, name=name: row[name])
        for index, name in enumerate(FIELDS)
    ]


def _sheet(content: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(content)).active


@pytest.mark.parametrize("language", ["zh", "en"])
def test_each_value_is_written_as_what_it_is(language: str) -> None:
    sheet = _sheet(write_xlsx(_columns(), ROWS, language=language, title="needs"))
    header = [cell.value for cell in sheet[1]]
    assert header == ([f"列{i}" for i in range(len(FIELDS))] if language == "zh" else [f.capitalize() for f in FIELDS])
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:K{len(ROWS) + 1}"
    first = {field: cell for field, cell in zip(FIELDS, sheet[2], strict=True)}
    assert first["title"].value == "透水砖铺设" and first["title"].data_type == "s"
    assert first["formula"].value == '\'=HYPERLINK("http://x")' and first["formula"].data_type == "s"
    assert first["count"].value == 12 and first["count"].data_type == "n"
    assert first["quantity"].value == 3.5 and first["quantity"].data_type == "n"
    assert first["share"].value == pytest.approx(0.92) and first["share"].number_format == "0%"
    assert first["due"].value == datetime(2026, 12, 24) and first["due"].number_format == "yyyy-mm-dd"
    assert first["starts"].value == datetime(2026, 12, 24, 8, 30)
    assert first["starts"].number_format == "yyyy-mm-dd hh:mm"
    assert first["seen"].value == datetime(2026, 12, 25) and first["seen"].number_format == "yyyy-mm-dd"
    assert first["note"].value is None  # an empty text is an empty cell, not an empty string
    assert first["active"].value == ("是" if language == "zh" else "Yes")
    assert first["status"].value == ("已发布" if language == "zh" else "Published")
    second = {field: cell.value for field, cell in zip(FIELDS, sheet[3], strict=True)}
    assert second["formula"] == "'+86 138"
    assert second["count"] == 0 and second["quantity"] == 40
    assert second["due"] is None and second["starts"] is None and second["note"] is None
    assert second["active"] == ("否" if language == "zh" else "No")
    # Widths fit the widest of the header and the first rows: a Chinese character counts twice.
    assert sheet.column_dimensions["A"].width >= 2 * len("透水砖铺设")


def test_a_long_list_streams_in_pieces_with_every_row() -> None:
    many = [dict(ROWS[0], count=number) for number in range(2_500)]
    pages = [many[start : start + 1_000] for start in range(0, len(many), 1_000)]
    content = b"".join(xlsx_chunks(_columns(), pages, language="en", title="a title longer than thirty-one signs"))
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    assert workbook.sheetnames == ["a title longer than thirty-one "]
    counts = [row[2] for row in workbook.active.iter_rows(min_row=2, values_only=True)]
    assert counts == list(range(2_500))
