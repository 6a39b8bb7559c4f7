"""``marketplace offers ...``: the expiry sweep for a timer, for those who want one (requests run it too)."""

import click

from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
from marketplace.db.types import utcnow
from marketplace.offers.lifecycle import expire_offers
from marketplace.settings import Settings


@click.group("offers")
def offers() -> None:
    """The resource list (offers)."""


@offers.command("expire")
def expire() -> None:
    """Mark every offer whose validity window has closed as expired (one UPDATE)."""
    settings = Settings.from_env()
    engine = create_db_engine(settings.database)
    try:
        with session_scope(make_session_factory(engine)) as db:
            count = expire_offers(db, utcnow())
    finally:
        engine.dispose()
    click.echo(f"{count} offer(s) expired")
