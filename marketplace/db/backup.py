"""Back up and restore the database while it serves: SQLite's online backup API, or pg_dump/pg_restore.

A SQLite file copy taken while the server writes can miss the WAL or catch a page half-written;
the backup API reads one consistent snapshot through SQLite itself. PostgreSQL's own tools do
the same for PostgreSQL (``pg_dump -Fc`` runs in one repeatable-read transaction).
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

# progress(stage, done, total), the shape of marketplace.console.StageProgress.
Progress = Callable[[str, int, int], None]

# Pages copied per step: small enough to show progress, large enough to be quick.
_PAGES_PER_STEP = 1024
_KEPT_TABLES = {"alembic_version"}  # the schema's version is not data


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why and what to do."""


def is_sqlite(url: str) -> bool:
    return sa.make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path:
    database = sa.make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def backup(url: str, target: Path, progress: Progress | None = None) -> Path:
    """Write a backup of the database at ``url`` to ``target`` (created or replaced whole, never half)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if is_sqlite(url):
        _backup_sqlite(sqlite_path(url), target, progress)
    else:
        _backup_postgres(url, target, progress)
    return target


def restore(url: str, source: Path, *, force: bool = False, progress: Progress | None = None) -> None:
    """Replace the database at ``url`` with the backup ``source``; refuse if it holds data unless ``force``."""
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    tables_with_rows = non_empty_tables(url)
    if tables_with_rows and not force:
        shown = ", ".join(tables_with_rows[:5]) + (" ..." if len(tables_with_rows) > 5 else "")
        raise BackupError(f"the database already holds data (in {shown}); add --force to overwrite it")
    if is_sqlite(url):
        _restore_sqlite(source, sqlite_path(url), progress)
    else:
        _restore_postgres(url, source, progress)


def non_empty_tables(url: str) -> list[str]:
    """Names of the tables that hold at least one row (a database not created yet holds none)."""
    if is_sqlite(url) and not sqlite_path(url).exists():
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        names = [name for name in sa.inspect(engine).get_table_names() if name not in _KEPT_TABLES]
        with engine.connect() as connection:
            quote = connection.dialect.identifier_preparer.quote
            return [
                name
                for name in names
                if connection.exec_driver_sql(f"SELECT 1 FROM {quote(name)} LIMIT 1").first() is not None
            ]
    finally:
        engine.dispose()


def _copy_pages(source: sqlite3.Connection, target: sqlite3.Connection, stage: str, progress: Progress | None) -> None:
    def report(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(stage, total - remaining, total)

    # The source holds a read transaction for the whole copy: every step reads the same snapshot,
    # so writers carry on (WAL) and the copy never restarts because one of them committed.
    source.execute("BEGIN")
    try:
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        source.backup(target, pages=_PAGES_PER_STEP, progress=report)
    finally:
        source.execute("COMMIT")


def _backup_sqlite(database: Path, target: Path, progress: Progress | None) -> None:
    if not database.is_file():
        raise BackupError(f"no SQLite database at {database}")
    # Written beside the target and renamed into place: a failed run leaves no half backup behind.
    descriptor, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(descriptor)
    partial = Path(partial_name)
    try:
        source = sqlite3.connect(database, isolation_level=None, timeout=30)
        copy = sqlite3.connect(partial, isolation_level=None)
        try:
            _copy_pages(source, copy, "copy pages", progress)
            # A self-contained file: no WAL beside it to lose when it is moved.
            copy.execute("PRAGMA journal_mode=DELETE")
            check = copy.execute("PRAGMA integrity_check").fetchone()
        finally:
            copy.close()
            source.close()
        if check is None or check[0] != "ok":
            raise BackupError(f"the backup failed its integrity check: {check}")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _restore_sqlite(source: Path, database: Path, progress: Progress | None) -> None:
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as probe:
        check = probe.execute("PRAGMA integrity_check").fetchone()
    if check is None or check[0] != "ok":
        raise BackupError(f"{source} is not a sound SQLite backup: {check}")
    database.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API again, so the database's WAL and locks are honoured (never a file copy).
    backup_file = sqlite3.connect(source, isolation_level=None)
    live = sqlite3.connect(database, isolation_level=None, timeout=30)
    try:
        _copy_pages(backup_file, live, "restore pages", progress)
        live.execute("PRAGMA journal_mode=WAL")
    finally:
        live.close()
        backup_file.close()


def postgres_tool(name: str) -> str:
    """The path of ``pg_dump``/``pg_restore``: on PATH, or in a Debian/RPM PostgreSQL bin folder."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    candidates += sorted(Path("/usr").glob(f"pgsql-*/bin/{name}"), reverse=True)
    if candidates:
        return str(candidates[0])
    raise BackupError(
        f"{name} was not found: install the PostgreSQL client tools (Debian: apt install postgresql-client) "
        "of the server's major version or newer, or put them on PATH"
    )


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries it."""
    parsed = sa.make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run_verbose(command: list[str], env: dict[str, str], stage: str, progress: Progress | None) -> None:
    """Run a pg tool with --verbose and report each object it reports as one more step done."""
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, errors="replace")
    assert process.stderr is not None
    done = 0
    lines: list[str] = []
    for line in process.stderr:
        lines.append(line.rstrip())
        done += 1
        if progress is not None:
            progress(stage, done, done + 1)
    if process.wait() != 0:
        tail = "\n".join(line for line in lines if "error" in line.lower())[-2000:] or "\n".join(lines[-10:])
        raise BackupError(f"{Path(command[0]).name} failed (exit {process.returncode}):\n{tail}")
    if progress is not None:
        progress(stage, done, done)


def _backup_postgres(url: str, target: Path, progress: Progress | None) -> None:
    connection, env = _libpq(url)
    descriptor, partial_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(descriptor)
    partial = Path(partial_name)
    try:
        command = [postgres_tool("pg_dump"), "--format=custom", "--verbose", "--no-owner", f"--file={partial}"]
        _run_verbose([*command, f"--dbname={connection}"], env, "dump", progress)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)


def _restore_postgres(url: str, source: Path, progress: Progress | None) -> None:
    connection, env = _libpq(url)
    command = [
        postgres_tool("pg_restore"),
        "--verbose",
        "--clean",  # the tables of a migrated but empty database are replaced, not collided with
        "--if-exists",
        "--no-owner",
        "--single-transaction",  # all or nothing: a failed restore leaves the database as it was
        "--exit-on-error",
        f"--dbname={connection}",
        str(source),
    ]
    _run_verbose(command, env, "restore", progress)
