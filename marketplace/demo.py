"""``marketplace demo``: a ready-to-explore Hudao Street on SQLite, one command from a fresh clone."""

from dataclasses import replace
from typing import Any

import click
import uvicorn

from marketplace.app import create_app
from marketplace.console import StageProgress
from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import upgrade
from marketplace.jobs.embedded_schedule import attach as keep_schedule
from marketplace.recommend.services import warm_in_background
from marketplace.security.slow_clients import BoundedHttpTools, raise_open_files_limit
from marketplace.settings import Settings


def prepare_demo_database(settings: Settings) -> bool:
    """Migrate the database and seed the Hudao Street scenario if it is empty; True when it seeded."""
    from seeds import database_is_empty
    from seeds.hudao import seed_hudao

    upgrade(settings.database.url)
    engine = create_db_engine(settings.database)
    try:
        if not database_is_empty(engine):
            return False
        click.echo("Seeding the Hudao Street scenario ...")
        progress = StageProgress()
        seed_hudao(engine, progress=progress)
        click.echo(f"Seeded in {progress.elapsed():.1f} s.")
        train_on_the_seeded_history(engine, settings)
        return True
    finally:
        engine.dispose()


def train_on_the_seeded_history(engine: Any, settings: Settings) -> None:
    """Fit the learned rankers on the year of decisions just seeded, as `marketplace match train` would,
    so the demo's recommendations show them at work (each is stored only if it beats the default)."""
    from sqlmodel import Session

    from marketplace.recommend import training

    with Session(engine) as db:
        for kind in ("volunteers", "offers"):
            result = training.train(db, settings.var_dir, kind)
            verdict = "learned ranker serves" if result.trained else "default scorer serves"
            click.echo(f"Ranker for {kind}: {verdict} ({result.why}).")


def print_demo_logins(base_url: str) -> None:
    from seeds.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    click.echo("")
    click.secho(f"Hudao Street marketplace: {base_url}", bold=True)
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for account in DEMO_ACCOUNTS:
        click.echo(f"  {account.role:<10} {account.username:<12} {account.description}")
    click.echo("Press Ctrl+C to stop.\n")


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def run_demo(settings: Settings, *, host: str, port: int) -> None:
    if host not in LOOPBACK and "*" not in settings.allowed_hosts and host not in settings.allowed_hosts:
        # Served to the network, the demo is reached by names we cannot guess; production lists them.
        click.echo("Serving beyond this machine: answering any Host (set MARKETPLACE_ALLOWED_HOSTS to restrict).")
        settings = replace(settings, allowed_hosts=("*",))
    where = settings.database.url.split("@")[-1]
    click.echo(f"Database: {where}")
    prepare_demo_database(settings)
    print_demo_logins(f"http://{host}:{port}")
    app = create_app(settings)
    warm_in_background(app.state.session_factory)
    keep_schedule(app)  # the scheduled sweeps, with no Redis and no worker (marketplace/jobs/embedded_schedule.py)
    # Whose X-Forwarded-For to believe is the application's decision (MARKETPLACE_TRUSTED_PROXIES).
    # The server's limits on a request's headers and the time to read it: as `marketplace serve`'s.
    raise_open_files_limit()
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        http=BoundedHttpTools,
    )
