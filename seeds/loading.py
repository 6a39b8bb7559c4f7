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
            write = _copy_rows if connection.dialect.name == "postgresql" else _insert_rows
            for start in range(0, len(rows), BATCH_ROWS):
                batch = rows[start : start + BATCH_ROWS]
                write(connection, table, batch)
                done += len(batch)
                if progress:
                    progress("loading rows", done, total)
        reset_sequences(connection)
    return counts


def written_columns(table: sa.Table) -> list[sa.Column]:
    """The columns a load writes: not those the database computes (``GENERATED ALWAYS``), which refuse values."""
    return [column for column in table.columns if column.computed is None]


def _insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """SQLAlchemy Core executemany; omitted optional columns are NULL (every row needs the same keys)."""
    blank = {column.name: None for column in written_columns(table) if column.nullable}
    connection.execute(table.insert(), [{**blank, **row} for row in rows])


def _copy_rows(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """PostgreSQL's COPY, with each value converted by its column type exactly as an INSERT would.

    Measured at 20,000 volunteers (148,000 rows): executemany 11.4 s, insertmanyvalues 25.6 s,
    COPY 2.1 s. The server's per-statement work dominates, not Python, so only COPY helps.
    """
    dialect = connection.dialect
    columns = written_columns(table)
    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    names = [column.name for column in columns]
    # A row that leaves out a column with a scalar default gets that default, as an INSERT would
    # (COPY names every column, so the server default never applies: NULL would break NOT NULL).
    defaults = {
        column.name: column.default.arg
        for column in columns
        if column.default is not None and getattr(column.default, "is_scalar", False)
    }
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(name) for name in names)}) FROM STDIN"
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                values = [row[name] if name in row else defaults.get(name) for name in names]
                copy.write_row(
                    [
                        process(value) if process and value is not None else value
                        for process, value in zip(processors, values, strict=True)
                    ]
                )
    finally:
        cursor.close()


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


def refresh_statistics(engine: sa.Engine) -> None:
    """VACUUM ANALYZE after a bulk load on PostgreSQL. Autovacuum gets to new rows only later (and never
    where it is off): until then the planner believes the tables empty, and on a seeded city it
    nested-looped the review queue's count for 90 s instead of 1 s (ANALYZE); and no page of the new tables
    is marked all-visible, so an index-only scan still reads every row from the table (VACUUM): the review
    counts' overlap probe touched 158,000 buffers on a freshly seeded city, 114,000 after (with
    ``ix_shift_id_starts_at_ends_at``). SQLite needs neither: it has no visibility map, and its plans of the
    review queue are the same with ANALYZE's statistics as without (measured on the 100-street city)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


# Tables a migration fills with reference data (the curated item vocabulary): rows there are no street's data.
REFERENCE_TABLES = frozenset({"item_term"})


def database_is_empty(engine: sa.Engine) -> bool:
    """True when no table of the schema holds a row (tables not created yet count as empty), the reference
    tables a fresh migrated database already fills aside."""
    existing = set(sa.inspect(engine).get_table_names())
    with engine.connect() as connection:
        # On SQLite a read-only connection begins DEFERRED and never takes the write lock.
        connection.execution_options(readonly=True)
        for table in model_tables():
            if (
                table.name in existing
                and table.name not in REFERENCE_TABLES
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
