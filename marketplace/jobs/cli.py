"""``marketplace worker``: run background jobs from the Redis queue (MARKETPLACE_REDIS_URL) until stopped."""

import logging

import click

from marketplace.settings import Settings
from marketplace.whole_numbers import TypedNumber


@click.command("worker")
@click.option("--concurrency", default=2, show_default=True, type=TypedNumber(1, 64), help="Jobs run at the same time.")
def worker(concurrency: int) -> None:
    """Run matching rounds, training and sweeps queued by the web processes (SIGTERM stops it)."""
    from marketplace.serving.metrics_files import use_metrics_dir

    settings = Settings.from_env()
    if not settings.redis_url:
        raise click.ClickException(
            "MARKETPLACE_REDIS_URL is not set: jobs run inside the web process, so there is nothing for a worker "
            "to do. Set it (e.g. redis://127.0.0.1:6379/0) for the web processes and the worker alike."
        )
    # Before prometheus_client is imported: the job counts go to the metrics files the web server's
    # /metrics reads (same var dir). clean=False: the web workers' files are theirs to tidy. Only once the
    # worker will really run: the setting is process-wide.
    use_metrics_dir(clean=False)
    from marketplace.jobs.worker import serve
    from marketplace.serving.logs import configure_logging

    configure_logging()
    logging.getLogger("saq").setLevel(logging.WARNING)
    serve(settings, concurrency=concurrency)


@click.group("jobs")
def jobs() -> None:
    """Background jobs: retention."""


@jobs.command("prune")
def prune() -> None:
    """Delete jobs that ended more than MARKETPLACE_JOB_RETENTION_DAYS ago (default 30), with their files."""
    from marketplace.db.engine import create_db_engine, make_session_factory
    from marketplace.db.types import utcnow
    from marketplace.jobs.services import prune_ended

    settings = Settings.from_env()
    engine = create_db_engine(settings.database)
    try:
        counts = prune_ended(make_session_factory(engine), settings, utcnow(), settings.job_retention_days)
    finally:
        engine.dispose()
    days = settings.job_retention_days
    click.echo(f"older than {days} days: {counts['jobs']} jobs and {counts['files']} files removed")
