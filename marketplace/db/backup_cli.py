"""``marketplace backup`` and ``marketplace restore``."""

import time
from datetime import UTC, datetime
from pathlib import Path

import click

from marketplace.console import StageProgress
from marketplace.db.backup import BackupError, is_sqlite
from marketplace.db.backup import backup as make_backup
from marketplace.db.backup import restore as restore_backup
from marketplace.settings import Settings


def _default_target(settings: Settings) -> Path:
    suffix = "sqlite3" if is_sqlite(settings.database.url) else "dump"
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return settings.var_dir / "backups" / f"marketplace-{stamp}.{suffix}"


def _where(url: str) -> str:
    return url.split("@")[-1]  # never print a password


@click.command("backup")
@click.argument("target", required=False, type=click.Path(dir_okay=False, path_type=Path))
def backup(target: Path | None) -> None:
    """Back up the database to TARGET (default: var/backups/marketplace-<UTC time>.sqlite3 or .dump).

    Safe while the server runs: SQLite is copied through its online backup API, PostgreSQL with
    pg_dump --format=custom.
    """
    settings = Settings.from_env()
    target = target or _default_target(settings)
    click.echo(f"Backing up {_where(settings.database.url)} to {target} ...")
    started = time.perf_counter()
    try:
        make_backup(settings.database.url, target, progress=StageProgress())
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    size_mb = target.stat().st_size / 1_000_000
    click.echo(f"backup written: {target} ({size_mb:.1f} MB in {time.perf_counter() - started:.1f} s)")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
def restore(source: Path, force: bool) -> None:
    """Restore the database from the backup SOURCE made by ``marketplace backup``.

    Stop the server first. A database that already holds data is refused unless --force.
    """
    settings = Settings.from_env()
    click.echo(f"Restoring {_where(settings.database.url)} from {source} ...")
    started = time.perf_counter()
    try:
        restore_backup(settings.database.url, source, force=force, progress=StageProgress())
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"database restored in {time.perf_counter() - started:.1f} s")
