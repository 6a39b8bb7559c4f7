"""``marketplace seed hudao``, ``marketplace seed city`` and ``marketplace seed synthetic``."""

from datetime import date, datetime

import click
import sqlalchemy as sa

from marketplace.console import StageProgress
from marketplace.db.engine import create_db_engine
from marketplace.db.migrate import upgrade
from marketplace.settings import Settings
from seeds.loading import SeedReport, database_is_empty, empty_database

force_option = click.option("--force", is_flag=True, help="Empty a database that already holds data, then seed.")
today_option = click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="The day the data is relative to (default: today); fix it to reproduce a run exactly.",
)


@click.group()
def seed() -> None:
    """Fill the database with demo or benchmark data."""


@seed.command("hudao")
@click.option("--seed", "seed_value", default=2026, show_default=True, type=int, help="Random seed.")
@today_option
@force_option
def seed_hudao_command(seed_value: int, today: datetime | None, force: bool) -> None:
    """The Hudao Street scenario: 21 grids, the story's partners, needs, volunteers and a year of matches."""
    from seeds.hudao import seed_hudao

    engine = _prepared_engine(force)
    try:
        click.echo("Seeding the Hudao Street scenario ...")
        report = seed_hudao(engine, seed=seed_value, today=_day(today), progress=StageProgress())
    finally:
        engine.dispose()
    _print_report(report)


@seed.command("city")
@click.option(
    "--streets",
    default=3,
    show_default=True,
    type=click.IntRange(min=1, max=500),
    help="Streets in the city; the first is Hudao Street with its story.",
)
@click.option(
    "--volunteers",
    type=click.IntRange(min=1),
    help="Volunteers in the whole city (default: about 240 a street), shared out over the streets.",
)
@click.option("--needs", type=click.IntRange(min=1), help="Needs in the whole city (default: about 160 a street).")
@click.option("--offers", type=click.IntRange(min=1), help="Offers in the whole city (default: 1-3 per partner).")
@click.option("--seed", "seed_value", default=2026, show_default=True, type=int, help="Random seed.")
@today_option
@force_option
def seed_city_command(
    streets: int,
    volunteers: int | None,
    needs: int | None,
    offers: int | None,
    seed_value: int,
    today: datetime | None,
    force: bool,
) -> None:
    """A city of STREETS streets of Qingdao: Hudao Street first, then streets of every district in turn.

    Each street has its own communities, grids, partners, staff, volunteers, needs and history; the city
    admin `city` sees them all, each street's admin `<slug>-admin` only theirs (password hudao-demo-2026).
    """
    from seeds.city import CityStreet, seed_city

    def announce(street: CityStreet) -> None:
        click.echo(f"Street {street.number}/{streets}: {street.name} {street.name_en} ({street.code}) ...")

    engine = _prepared_engine(force)
    try:
        totals = {
            key: value
            for key, value in (("volunteers", volunteers), ("needs", needs), ("offers", offers))
            if value is not None
        }
        sized = "".join(f", {value:,} {key}" for key, value in totals.items())
        click.echo(f"Seeding a city of {streets} streets{sized} ...")
        try:
            report = seed_city(
                engine,
                streets=streets,
                seed=seed_value,
                today=_day(today),
                progress=StageProgress(),
                on_street=announce,
                totals=totals,
            )
        except ValueError as error:
            raise click.BadParameter(str(error)) from None
    finally:
        engine.dispose()
    _print_report(report)
    click.echo("City admin: city; street admins: admin (Hudao Street) and <slug>-admin; password hudao-demo-2026.")


@seed.command("synthetic")
@click.option("--volunteers", default=10_000, show_default=True, type=click.IntRange(min=1), help="Street size.")
@click.option(
    "--needs", type=click.IntRange(min=1), default=None, help="Needs (default: one per 18 volunteers, at least 60)."
)
@click.option(
    "--offers", type=click.IntRange(min=1), default=None, help="Offers (default: one per 20 volunteers, at least 50)."
)
@click.option(
    "--shifts",
    type=click.IntRange(min=0),
    default=None,
    help="Volunteer shifts to aim at, spread over the needs (default: about one per need).",
)
@click.option("--seed", "seed_value", default=7, show_default=True, type=int, help="Random seed.")
@today_option
@force_option
def seed_synthetic_command(
    volunteers: int,
    needs: int | None,
    offers: int | None,
    shifts: int | None,
    seed_value: int,
    today: datetime | None,
    force: bool,
) -> None:
    """A synthetic street with VOLUNTEERS volunteers and everything else in proportion, unless set.

    For the load benchmark's street: --volunteers 5000 --needs 2000 --offers 800 --shifts 2000.
    """
    from seeds.synthetic import seed_synthetic

    engine = _prepared_engine(force)
    try:
        chosen = {"volunteers": volunteers, "needs": needs, "offers": offers, "shifts": shifts}
        sizes = [f"{count:,} {name}" for name, count in chosen.items() if count is not None]
        click.echo(f"Seeding a synthetic street of {', '.join(sizes)} ...")
        report = seed_synthetic(
            engine,
            volunteers=volunteers,
            needs=needs,
            offers=offers,
            shifts=shifts,
            seed=seed_value,
            today=_day(today),
            progress=StageProgress(),
        )
    finally:
        engine.dispose()
    _print_report(report)


def _prepared_engine(force: bool) -> sa.Engine:
    """Migrate the configured database; refuse one that holds data unless ``force`` empties it."""
    settings = Settings.from_env()
    url = settings.database.url
    click.echo(f"Database: {url.split('@')[-1]}")
    upgrade(url)
    engine = create_db_engine(settings.database)
    if not database_is_empty(engine):
        if not force:
            engine.dispose()
            raise click.ClickException("the database already holds data; use --force to empty it and seed again")
        click.echo("Emptying the database (--force) ...")
        empty_database(engine)
    return engine


def _day(value: datetime | None) -> date | None:
    return value.date() if value else None


def _print_report(report: SeedReport) -> None:
    click.echo("Rows per table:")
    for line in report.lines():
        click.echo(f"  {line}")
    click.echo(
        f"{report.total:,} rows: generated in {report.generate_seconds:.1f} s, loaded in {report.load_seconds:.1f} s."
    )
