"""Loading a plan into the database in one transaction, and the checks around it."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlmodel import SQLModel

import marketplace.models  # noqa: F401  (registers every table)
from seeds.plan import Plan

Progress = Callable[[str, int, int], None]
BATCH_ROWS = 20_000


@dataclass(frozen=True)
class SeedReport:
    """How many rows each table received, and how long generating and loading took."""

    counts: dict[str, int]
    generate_seconds: float = 0.0
    load_seconds: float = 0.0
    notes: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, table: str) -> int:
        return self.counts.get(table, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        width = max((len(name) for name in self.counts), default=0)
        return [f"{name:<{width}}  {count:>9,}" for name, count in self.counts.items()]


def model_tables() -> list[sa.Table]:
    """Every table of the schema, parents before children."""
    return list(SQLModel.metadata.sorted_tables)


def load_plan(engine: sa.Engine, plan: Plan, progress: Progress | None = None) -> dict[str, int]:
    """Insert every row with executemany batches in one transaction; returns the count per table."""
    tables = model_tables()
    total = sum(plan.count(table.name) for table in tables)
    done = 0
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        for table in tables:
            rows = plan.rows.get(table.name, [])
            counts[table.name] = len(rows)
            if not rows:
                continue
            # Omitted optional columns are NULL; executemany needs the same keys in every row.
            blank = {column.name: None for column in table.columns if column.nullable}
            insert = table.insert()
            for start in range(0, len(rows), BATCH_ROWS):
                batch = rows[start : start + BATCH_ROWS]
                connection.execute(insert, [{**blank, **row} for row in batch])
                done += len(batch)
                if progress:
                    progress("loading rows", done, total)
        reset_sequences(connection)
    return counts


def reset_sequences(connection: sa.Connection) -> None:
    """After inserts with explicit ids, move PostgreSQL's id sequences past them (SQLite needs nothing)."""
    if connection.dialect.name != "postgresql":
        return
    quote = connection.dialect.identifier_preparer.quote
    for table in model_tables():
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        name = quote(table.name)
        connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL) "
            f"FROM {name}"
        )


def database_is_empty(engine: sa.Engine) -> bool:
    """True when no table of the schema holds a row (tables not created yet count as empty)."""
    existing = set(sa.inspect(engine).get_table_names())
    with engine.connect() as connection:
        # On SQLite a read-only connection begins DEFERRED and never takes the write lock.
        connection.execution_options(readonly=True)
        for table in model_tables():
            if (
                table.name in existing
                and connection.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
            ):
                return False
    return True


def empty_database(engine: sa.Engine) -> None:
    """Delete every row of every table of the schema (the migrations' own table is kept)."""
    tables = model_tables()
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quote = connection.dialect.identifier_preparer.quote
            names = ", ".join(quote(table.name) for table in tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
            return
        for table in reversed(tables):
            connection.execute(table.delete())
        if connection.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").first():
            connection.exec_driver_sql("DELETE FROM sqlite_sequence")


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def lap(self) -> float:
        now = time.perf_counter()
        elapsed, self.started = now - self.started, now
        return elapsed
