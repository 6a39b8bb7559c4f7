"""``marketplace privacy anonymise-expired``: the retention job, for a daily timer."""

import click

from marketplace.db.engine import create_db_engine, make_session_factory
from marketplace.db.types import utcnow
from marketplace.privacy.retention import run_retention
from marketplace.settings import Settings
from marketplace.whole_numbers import TypedNumber


@click.group("privacy")
def privacy() -> None:
    """Personal data: retention."""


@privacy.command("anonymise-expired")
@click.option("--dry-run", is_flag=True, help="Count what would be anonymised; change nothing.")
@click.option("--batch-size", default=500, show_default=True, type=TypedNumber(1, 10_000))
def anonymise_expired(dry_run: bool, batch_size: int) -> None:
    """Anonymise personal data older than MARKETPLACE_PERSONAL_DATA_RETENTION_DAYS (safe to run again)."""
    settings = Settings.from_env()
    days = settings.personal_data_retention_days
    if days == 0:
        click.echo("retention is 0 (keep personal data): nothing to do")
        return
    engine = create_db_engine(settings.database)
    try:
        report = run_retention(
            make_session_factory(engine),
            utcnow(),
            days,
            dry_run=dry_run,
            batch_size=batch_size,
            progress=lambda step, done: click.echo(f"{step}: {done} so far"),
        )
    finally:
        engine.dispose()
    verb = "would be anonymised" if dry_run else "anonymised"
    figures = ", ".join(f"{count} {step.replace('_', ' ')}" for step, count in report.counts.items())
    click.echo(f"{'dry run: ' if dry_run else ''}older than {report.cutoff:%Y-%m-%d} ({days} days): {figures} {verb}")
