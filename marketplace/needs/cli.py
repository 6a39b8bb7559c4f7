"""``marketplace needs escalate``: the escalation sweep for a timer (the admins' list runs it too)."""

import click

from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
from marketplace.db.types import utcnow
from marketplace.needs.escalation import escalate_overdue
from marketplace.settings import Settings


@click.group("needs")
def needs() -> None:
    """The need list."""


@needs.command("escalate")
def escalate() -> None:
    """Escalate needs past their due date, and levels not acknowledged by their deadline, one level up."""
    settings = Settings.from_env()
    engine = create_db_engine(settings.database)
    try:
        with session_scope(make_session_factory(engine)) as db:
            count = escalate_overdue(db, utcnow())
    finally:
        engine.dispose()
    click.echo(f"{count} escalation step(s) opened")
