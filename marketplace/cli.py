"""The ``marketplace`` command line."""

import click

from marketplace.settings import Settings


@click.group()
def main() -> None:
    """Red Partners Marketplace."""


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from marketplace.db.migrate import upgrade

    settings = Settings.from_env()
    upgrade(settings.database.url, revision)
    click.echo(f"database at {revision}: {settings.database.url.split('@')[-1]}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int)
def serve(host: str, port: int, workers: int) -> None:
    """Serve the application (the database must be migrated)."""
    import uvicorn

    uvicorn.run("marketplace.asgi:app_from_env", host=host, port=port, workers=workers, factory=True)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Create and migrate the database, seed Hudao Street if it is empty, and serve it."""
    from marketplace.demo import run_demo

    run_demo(Settings.from_env(), host=host, port=port)


def _register_plugins() -> None:
    # Seeding commands live with the seeds package, which the web app never imports.
    from marketplace.accounts.cli import COMMANDS as ACCOUNT_COMMANDS
    from marketplace.needs.cli import needs
    from marketplace.offers.cli import offers
    from marketplace.recommend.cli import match
    from seeds.cli import seed

    main.add_command(seed)
    main.add_command(offers)
    main.add_command(needs)
    main.add_command(match)
    for command in ACCOUNT_COMMANDS:
        main.add_command(command)


_register_plugins()
