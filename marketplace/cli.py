"""The ``marketplace`` command line.

Subcommands are imported when they are called, not when the command starts: ``marketplace serve``
does not pay for the seeds, the matching library or the training code it never runs.
"""

import importlib
import sys

import click

from marketplace.settings import Settings
from marketplace.whole_numbers import TypedNumber

# name → "module:attribute" of a click command or group, imported on first use.
LAZY_COMMANDS = {
    "seed": "seeds.cli:seed",
    "offers": "marketplace.offers.cli:offers",
    "items": "marketplace.items.cli:items",
    "needs": "marketplace.needs.cli:needs",
    "match": "marketplace.recommend.cli:match",
    "user": "marketplace.accounts.cli:user",
    "token": "marketplace.accounts.cli:token",
    "backup": "marketplace.db.backup_cli:backup",
    "restore": "marketplace.db.backup_cli:restore",
    "audit": "marketplace.audit.cli:audit",
    "privacy": "marketplace.privacy.cli:privacy",
    "worker": "marketplace.jobs.cli:worker",
    "jobs": "marketplace.jobs.cli:jobs",
}


class LazyGroup(click.Group):
    """A group whose commands listed in LAZY_COMMANDS are imported only when asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in LAZY_COMMANDS:
            # Every table must be known before any is used: a foreign key names its target table.
            importlib.import_module("marketplace.models")
            module_name, _, attribute = LAZY_COMMANDS[cmd_name].partition(":")
            command: click.Command = getattr(importlib.import_module(module_name), attribute)
            return command
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup)
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
@click.option("--port", default=8000, show_default=True, type=TypedNumber(1, 65535))
@click.option("--workers", default=1, show_default=True, type=TypedNumber(1, 64))
def serve(host: str, port: int, workers: int) -> None:
    """Serve the application (the database must be migrated); several workers share the port."""
    from marketplace.serving.workers import serve as serve_with_workers

    sys.exit(serve_with_workers(host, port, workers))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=TypedNumber(1, 65535))
def demo(host: str, port: int) -> None:
    """Create and migrate the database, seed Hudao Street if it is empty, and serve it."""
    from marketplace.demo import run_demo

    run_demo(Settings.from_env(), host=host, port=port)
