"""What every seeder does around its own builders: set up the context, then load the plan and report."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

import sqlalchemy as sa

from seeds.build.context import SeedContext
from seeds.clock import SeedClock
from seeds.demo_accounts import demo_password_hash
from seeds.loading import Progress, SeedReport, Stopwatch, load_plan, refresh_statistics
from seeds.people import PeoplePools


def resolve_items(engine: sa.Engine, now: datetime) -> None:
    """Offers and lines are loaded in bulk: give them the item keys the app would have given them when saved
    (the curated vocabulary is added first where the table lacks it, as on a test database emptied by hand)."""
    from marketplace.db.engine import make_session_factory, session_scope
    from marketplace.items.services import install_curated, reresolve
    from seeds.data.item_vocabulary import CURATED_ITEMS

    with session_scope(make_session_factory(engine)) as db:
        install_curated(db, CURATED_ITEMS, now)
        reresolve(db)


def new_context(seed: int, today: date | None, progress: Progress | None) -> SeedContext:
    """``today`` defaults to the real date: the only clock reading of a seeding run."""
    return SeedContext(
        seed=seed,
        clock=SeedClock(today or date.today()),
        people=PeoplePools(seed),
        password_hash=demo_password_hash(seed),
        progress=progress,
    )


def load_and_report(engine: sa.Engine, ctx: SeedContext, watch: Stopwatch) -> SeedReport:
    generate_seconds = watch.lap()
    counts = load_plan(engine, ctx.plan, ctx.progress)
    resolve_items(engine, ctx.clock.now)
    refresh_statistics(engine)
    return SeedReport(counts, generate_seconds=generate_seconds, load_seconds=watch.lap())


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a run builds and loads its rows.

    A large run makes millions of small dicts, none of them cyclic; the collector scanning them
    again and again doubled the generation time of 100,000 volunteers (12.5 s against 6.1 s).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
