"""Checking every row of a table against a list's columns, and the row-by-row report.

The importer itself writes nothing: ``check_table`` returns the parsed rows and the problems; the list's
service creates the rows in ONE transaction, all of them or — when the user asked for it — only the
valid ones, and records one audit row for the import.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from marketplace.exchange.columns import CellProblem, ColumnSpec
from marketplace.exchange.readers import Table, TableProblem
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _


@dataclass(frozen=True)
class RowProblem:
    """What is wrong: the file's row number (header = row 1), the column's header, the value, the reason."""

    row: int
    column: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value, "reason": self.reason}


@dataclass
class CheckedTable:
    valid: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    total_rows: int = 0

    @property
    def invalid_rows(self) -> list[int]:
        return sorted({problem.row for problem in self.problems})


def _header(column: ColumnSpec) -> str:
    """The column as the reader's report names it: the header of their language."""
    return column.header_en if current_locale.get() == "en" else column.header_zh


def match_headers(table: Table, columns: Sequence[ColumnSpec]) -> dict[str, int]:
    """Which position holds which column; TableProblem naming the missing required columns."""
    positions: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        key = header.strip().lower()
        for column in columns:
            if key in column.headers() and column.name not in positions:
                positions[column.name] = index
                break
    missing = [column for column in columns if column.required and column.name not in positions]
    if missing:
        names = "、".join(f"{c.header_zh} / {c.header_en}" for c in missing)
        raise TableProblem(_("Required columns are missing from the header row: %(columns)s.") % {"columns": names})
    return positions


RowCheck = Callable[[dict[str, Any]], list[tuple[str, str]]]


PROGRESS_EVERY = 200  # rows between two progress reports (a background import's page shows them)


def check_table(
    table: Table,
    columns: Sequence[ColumnSpec],
    row_check: RowCheck | None = None,
    progress: Callable[[int], None] | None = None,
) -> CheckedTable:
    """Parse every cell of every row; ``row_check`` adds rules across columns as (column name, reason);
    ``progress(rows checked)`` is told every PROGRESS_EVERY rows."""
    positions = match_headers(table, columns)
    by_name = {column.name: column for column in columns}
    result = CheckedTable(total_rows=len(table.rows))
    for seen, (number, cells) in enumerate(table.rows):
        if progress is not None and seen % PROGRESS_EVERY == 0:
            progress(seen)
        values: dict[str, Any] = {}
        problems: list[RowProblem] = []
        for column in columns:
            index = positions.get(column.name)
            raw = cells[index].strip() if index is not None and index < len(cells) else ""
            if not raw:
                if column.required:
                    problems.append(RowProblem(number, _header(column), "", _("This field is required.")))
                continue
            try:
                values[column.name] = column.parse(raw)
            except CellProblem as problem:
                problems.append(RowProblem(number, _header(column), raw[:200], problem.message()))
        if not problems and row_check is not None:
            for name, reason in row_check(values):
                column = by_name.get(name)
                header = _header(column) if column else name
                index = positions.get(name)
                raw = cells[index].strip() if index is not None and index < len(cells) else ""
                problems.append(RowProblem(number, header, raw[:200], reason))
        if problems:
            result.problems.extend(problems)
        else:
            result.valid.append((number, values))
    return result
