"""Rows to insert, per table, with primary keys assigned in Python (seeding starts from an empty database)."""

from collections import defaultdict
from typing import Any

Row = dict[str, Any]


class Plan:
    """Every row of a seeding run, kept as plain dicts until one transaction loads them all."""

    def __init__(self) -> None:
        self.rows: defaultdict[str, list[Row]] = defaultdict(list)

    def add(self, table: str, row: Row) -> int:
        """Append a row to a table with an ``id`` column; returns the id it gets."""
        rows = self.rows[table]
        row_id = len(rows) + 1
        row["id"] = row_id
        rows.append(row)
        return row_id

    def link(self, table: str, row: Row) -> None:
        """Append a row to an association table (composite primary key, no ``id``)."""
        self.rows[table].append(row)

    def next_id(self, table: str) -> int:
        return len(self.rows[table]) + 1

    def count(self, table: str) -> int:
        return len(self.rows.get(table, ()))
