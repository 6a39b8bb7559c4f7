"""``marketplace audit mask-contacts``: rewrite audit rows written before contacts were masked on the way in.

This is the one place that changes stored audit rows, and it only ever masks: it runs by hand, in batches,
each batch committed, so it can be stopped and run again; a second run finds nothing to do.
"""

import click
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.audit.models import AuditEvent
from marketplace.audit.personal import mask_personal
from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
from marketplace.settings import Settings
from marketplace.whole_numbers import TypedNumber


@click.group("audit")
def audit() -> None:
    """The audit log."""


def mask_batch(db: Session, after_id: int, size: int) -> tuple[int | None, int, int]:
    """Mask the ``size`` rows after ``after_id``: (last id seen or None when done, rows read, rows rewritten)."""
    rows = list(
        db.execute(sa.select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id).limit(size)).scalars()
    )
    rewritten = 0
    for row in rows:
        before, after = mask_personal(row.before), mask_personal(row.after)
        if before != row.before or after != row.after:
            row.before, row.after = before, after  # new objects, so the JSON columns are seen as changed
            rewritten += 1
    return (rows[-1].id if rows else None), len(rows), rewritten


@audit.command("mask-contacts")
@click.option("--batch-size", default=500, show_default=True, type=TypedNumber(1, 10_000))
def mask_contacts(batch_size: int) -> None:
    """Mask residents' names, phones and addresses in stored audit rows (safe to run again)."""
    settings = Settings.from_env()
    engine = create_db_engine(settings.database)
    factory = make_session_factory(engine)
    last_id, read, rewritten = 0, 0, 0
    try:
        while True:
            with session_scope(factory) as db:
                next_id, count, changed = mask_batch(db, last_id, batch_size)
            if next_id is None:
                break
            last_id, read, rewritten = next_id, read + count, rewritten + changed
            click.echo(f"{read} audit row(s) read, {rewritten} masked (up to id {last_id})")
    finally:
        engine.dispose()
    click.echo(f"done: {read} audit row(s) read, {rewritten} masked")
