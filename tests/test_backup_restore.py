"""The backup drill: back up a street while a writer keeps inserting, restore it elsewhere, compare.

Runs on the suite's database (SQLite file or PostgreSQL). What the restored copy must show: every
table other than the one being written holds exactly the source's rows (counts and a checksum of
every row), the written table holds a prefix of the source's rows no shorter than before the
backup began, the database passes its integrity check, and new rows can be added to it.
"""

import hashlib
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlmodel import Session, SQLModel

from marketplace.audit.services import record
from marketplace.cli import main
from marketplace.db.backup import backup, non_empty_tables, restore
from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
from marketplace.settings import DatabaseSettings
from tests.factories import build_street
from tests.fault_helpers import empty_postgres_database

WRITTEN_TABLE = "audit_event"


def table_rows(engine: sa.Engine, table: sa.Table, limit: int | None = None) -> list[tuple[object, ...]]:
    query = sa.select(table).order_by(*table.primary_key.columns)
    if limit is not None:
        query = query.limit(limit)
    with engine.connect() as connection:
        return [tuple(row) for row in connection.execute(query)]


def checksum(rows: list[tuple[object, ...]]) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update(repr(row).encode())
    return digest.hexdigest()


def count(engine: sa.Engine, table_name: str) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql(f"SELECT count(*) FROM {table_name}").scalar_one())


class AuditWriter(threading.Thread):
    """Inserts one audit row per transaction until stopped, as a busy server would."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__(daemon=True)
        self.factory = make_session_factory(engine)
        self.stop = threading.Event()
        self.written = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                with session_scope(self.factory) as db:
                    record(db, "drill.write", object_type="drill", object_id=self.written, actor_role="system")
                self.written += 1
        except BaseException as error:  # surfaced by the test, not lost in a thread
            self.error = error

    def wait_for(self, rows: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.written < rows and time.monotonic() < deadline and self.error is None:
            time.sleep(0.01)
        assert self.error is None, self.error
        assert self.written >= rows, f"the writer managed only {self.written} rows"


@pytest.fixture
def restored_url(database_url: str, tmp_path: Path) -> str:
    """A database that does not hold anything yet, beside the suite's own."""
    if not database_url.startswith("postgresql"):
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    return empty_postgres_database(database_url, f"{sa.make_url(database_url).database}_restored")


def integrity_problems(engine: sa.Engine) -> list[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            check = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
            foreign = [str(tuple(row)) for row in connection.exec_driver_sql("PRAGMA foreign_key_check")]
            return [line for line in check if line != "ok"] + foreign
        # Every constraint came back and is validated; the schema version came with the data.
        unvalidated = connection.exec_driver_sql("SELECT conname FROM pg_constraint WHERE NOT convalidated")
        return [str(row[0]) for row in unvalidated]


def test_backup_taken_during_writes_restores_to_an_identical_consistent_database(
    clean_engine: sa.Engine, session: Session, database_url: str, restored_url: str, tmp_path: Path
) -> None:
    build_street(session)
    writer = AuditWriter(clean_engine)
    writer.start()
    try:
        writer.wait_for(20)
        rows_before_backup = count(clean_engine, WRITTEN_TABLE)
        target = backup(database_url, tmp_path / "drill.backup")
        after_backup = writer.written
        writer.wait_for(after_backup + 20)  # the writer was not held up by the backup
    finally:
        writer.stop.set()
        writer.join(timeout=10)
    assert writer.error is None, writer.error

    restore(restored_url, target)
    restored = create_db_engine(DatabaseSettings(url=restored_url, forbid_event_loop_queries=False))
    try:
        assert integrity_problems(restored) == []
        for table in SQLModel.metadata.sorted_tables:
            copied = table_rows(restored, table)
            if table.name == WRITTEN_TABLE:
                assert rows_before_backup <= len(copied) < count(clean_engine, WRITTEN_TABLE)
                assert checksum(copied) == checksum(table_rows(clean_engine, table, limit=len(copied)))
            else:
                assert (table.name, len(copied), checksum(copied)) == (
                    table.name,
                    count(clean_engine, table.name),
                    checksum(table_rows(clean_engine, table)),
                )
        with restored.connect() as connection:
            versions = [row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")]
        with clean_engine.connect() as connection:
            assert versions == [row[0] for row in connection.exec_driver_sql("SELECT version_num FROM alembic_version")]
        # Identifiers carry on after the restored rows: a new row does not collide with an old one.
        with session_scope(make_session_factory(restored)) as db:
            record(db, "drill.after_restore", object_type="drill", object_id=None, actor_role="system")
        assert count(restored, WRITTEN_TABLE) == len(table_rows(restored, SQLModel.metadata.tables[WRITTEN_TABLE]))
    finally:
        restored.dispose()


def test_restore_refuses_a_database_holding_data_unless_forced(
    clean_engine: sa.Engine, session: Session, database_url: str, restored_url: str, tmp_path: Path
) -> None:
    build_street(session)
    target = tmp_path / "street.backup"
    env = {"MARKETPLACE_DATABASE_URL": database_url, "MARKETPLACE_VAR_DIR": str(tmp_path)}
    made = CliRunner().invoke(main, ["backup", str(target)], env=env)
    assert made.exit_code == 0, made.output
    assert "backup written" in made.output

    restore(restored_url, target)
    assert non_empty_tables(restored_url)
    with session_scope(make_session_factory(clean_engine)) as db:
        record(db, "drill.later", object_type="drill", object_id=None, actor_role="system")
    later = tmp_path / "later.backup"
    backup(database_url, later)

    restored_env = env | {"MARKETPLACE_DATABASE_URL": restored_url}
    refused = CliRunner().invoke(main, ["restore", str(later)], env=restored_env)
    assert refused.exit_code != 0
    assert "--force" in refused.output
    restored = create_db_engine(DatabaseSettings(url=restored_url, forbid_event_loop_queries=False))
    try:
        assert count(restored, WRITTEN_TABLE) == count(clean_engine, WRITTEN_TABLE) - 1  # left as it was

        forced = CliRunner().invoke(main, ["restore", "--force", str(later)], env=restored_env)
        assert forced.exit_code == 0, forced.output
        assert count(restored, WRITTEN_TABLE) == count(clean_engine, WRITTEN_TABLE)
    finally:
        restored.dispose()
