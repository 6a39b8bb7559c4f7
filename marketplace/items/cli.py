"""``marketplace items ...``: bring the stored item keys in step with the vocabulary, add the curated items."""

import click

from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
from marketplace.items.services import ItemInputError, install_curated, reresolve
from marketplace.settings import Settings
from marketplace.whole_numbers import TypedNumber


@click.group("items")
def items() -> None:
    """The item vocabulary (what offers and resource lines are of)."""


@items.command("reresolve")
@click.option("--batch-size", default=500, show_default=True, type=TypedNumber(10, 10_000))
def reresolve_command(batch_size: int) -> None:
    """Resolve every offer's and resource line's item key again (after an import or a bulk edit)."""
    engine = create_db_engine(Settings.from_env().database)

    def progress(table: str, done: int, total: int) -> None:
        click.echo(f"{table}: {done}/{total}", err=True)

    try:
        with session_scope(make_session_factory(engine)) as db:
            counts = reresolve(db, batch_size=batch_size, progress=progress)
    finally:
        engine.dispose()
    click.echo(
        f"{counts.offers_changed} of {counts.offers_seen} offer(s) and "
        f"{counts.lines_changed} of {counts.lines_seen} resource line(s) changed their item"
    )


@items.command("install-curated")
def install_curated_command() -> None:
    """Add the curated items (seeds/data/item_vocabulary.tsv) whose keys the table lacks; edits stay."""
    from seeds.data.item_vocabulary import CURATED_ITEMS

    engine = create_db_engine(Settings.from_env().database)
    try:
        with session_scope(make_session_factory(engine)) as db:
            added = install_curated(db, CURATED_ITEMS)
            counts = reresolve(db) if added else None
    except ItemInputError as error:
        # Nothing added: each problem on its own line, as the admin page would list them.
        said = "\n".join(f"  {problem.key}: {problem.message}" for problem in error.problems)
        raise click.ClickException(f"the curated items were not added:\n{said}") from None
    finally:
        engine.dispose()
    click.echo(
        f"{added} item(s) added"
        + (f"; {counts.offers_changed + counts.lines_changed} key(s) changed" if counts else "")
    )
