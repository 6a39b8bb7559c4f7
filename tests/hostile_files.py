"""Hostile upload files, built in memory: what an outside probe sends to the import pages and API.

Shared by tests/test_hostile_uploads.py and benchmarks/hostile_upload.py.
"""

import io
import zipfile
from collections.abc import Iterator

from openpyxl import Workbook

OFFER_HEADER = "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格"
SHEET = "xl/worksheets/sheet1.xml"
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="A1:XFD1048576"/><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _skeleton() -> bytes:
    """A real one-sheet workbook from openpyxl, whose sheet XML the builders below replace."""
    workbook = Workbook()
    workbook.active.append(["x"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _cells(row: int, values: list[str]) -> str:
    cells = "".join(f'<c r="{_column(n)}{row}" t="inlineStr"><is><t>{v}</t></is></c>' for n, v in enumerate(values))
    return f'<row r="{row}">{cells}</row>'


def _column(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def xlsx_with_sheet(
    chunks: Iterator[str], *, compression: int = zipfile.ZIP_DEFLATED, level: int | None = None
) -> bytes:
    """The skeleton workbook with its sheet XML streamed from ``chunks`` (so a huge sheet never sits in memory)."""
    source = zipfile.ZipFile(io.BytesIO(_skeleton()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression, compresslevel=level) as target:
        for info in source.infolist():
            if info.filename == SHEET:
                info = zipfile.ZipInfo(SHEET)
                info.compress_type = compression
                info._compresslevel = level  # type: ignore[attr-defined]  # ZipInfo has no public setter
                with target.open(info, "w", force_zip64=True) as sheet:
                    for chunk in chunks:
                        sheet.write(chunk.encode())
            else:
                target.writestr(info.filename, source.read(info.filename))
    return buffer.getvalue()


def formatted_empty_rows_xlsx(target_bytes: int = 5 * 1024 * 1024 - 4096) -> bytes:
    """A header, one data row, then formatted rows without any value until the file is ``target_bytes``.

    Stored uncompressed so the zip checks pass and the row limit must catch it.
    """
    row = (
        '<row r="{n}" s="1" customFormat="1" ht="20" customHeight="1">'
        + "".join(f'<c r="{_column(c)}{{n}}" s="1"/>' for c in range(10))
        + "</row>"
    )
    size_per_row = len(row) + 20

    def chunks() -> Iterator[str]:
        yield _SHEET_HEAD + _cells(1, OFFER_HEADER.split(",")) + _cells(2, ["material", "renovation", "砖"])
        for n in range(3, 3 + target_bytes // size_per_row):
            yield row.format(n=n)
        yield _SHEET_TAIL

    return xlsx_with_sheet(chunks(), compression=zipfile.ZIP_STORED)


def zip_bomb_xlsx(sheet_megabytes: int = 200) -> bytes:
    """A small .xlsx whose sheet XML unpacks to ``sheet_megabytes`` MB of empty formatted rows."""
    block = "".join(f'<row r="{n}" s="1" customFormat="1"/>' for n in range(1, 2))
    filler = "<row/>" * 20_000  # rows without a number: each one is the next row
    count = sheet_megabytes * 1024 * 1024 // len(filler)

    def chunks() -> Iterator[str]:
        yield _SHEET_HEAD + block
        for _ in range(count):
            yield filler
        yield _SHEET_TAIL

    return xlsx_with_sheet(chunks(), level=9)


def far_row_xlsx() -> bytes:
    """A tiny .xlsx whose second row is row 1,048,576: a million empty rows in between."""
    return xlsx_with_sheet(iter([_SHEET_HEAD, _cells(1, ["标题"]), _cells(1_048_576, ["砖"]), _SHEET_TAIL]))


def wide_xlsx(columns: int = 300) -> bytes:
    return xlsx_with_sheet(iter([_SHEET_HEAD, _cells(1, [f"c{n}" for n in range(columns)]), _SHEET_TAIL]))


def shared_strings_bomb_xlsx(count: int = 600_000) -> bytes:
    """A workbook whose shared string table holds more strings than any allowed sheet could use."""
    source = zipfile.ZipFile(io.BytesIO(_skeleton()))
    buffer = io.BytesIO()
    strings = "".join(f"<si><t>{n}</t></si>" for n in range(count))
    xml = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="{count}">{strings}</sst>'
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        target.writestr("xl/sharedStrings.xml", xml)
    return buffer.getvalue()


def empty_lines_csv(target_bytes: int = 5 * 1024 * 1024 - 4096) -> bytes:
    """A header, one data row, then nothing but line breaks."""
    head = (OFFER_HEADER + "\nmaterial,renovation,砖,,1,块,,,,G1\n").encode()
    return head + b"\n" * (target_bytes - len(head))


def enormous_cell_csv(cell_bytes: int = 4 * 1024 * 1024) -> bytes:
    return (OFFER_HEADER + "\nmaterial,renovation,").encode() + b"x" * cell_bytes + b",,1,,,,,G1\n"


def oversized_body(size: int = 6 * 1024 * 1024) -> bytes:
    return b"a" * size
