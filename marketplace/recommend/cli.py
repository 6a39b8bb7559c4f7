"""``marketplace match``: matching rounds, training the ranker and evaluating it, for people and scripts."""

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from sqlmodel import Session

from marketplace.settings import Settings
from marketplace.whole_numbers import TypedNumber

KINDS = ("volunteers", "offers")


@click.group("match")
def match() -> None:
    """Matching: rounds, training and evaluation."""


@contextmanager
def _reading() -> Iterator[tuple[Session, Settings]]:
    """A read-only session: training and evaluating only read, and on SQLite a writer's session would hold
    the write lock through the whole fit, so a live server's writes would wait and then fail."""
    from marketplace.db.engine import create_db_engine, make_session_factory, session_scope

    settings = Settings.from_env()
    engine = create_db_engine(settings.database)
    try:
        with session_scope(make_session_factory(engine, readonly=True)) as db:
            yield db, settings
    finally:
        engine.dispose()


def _each_kind(kind: str, work: Callable[[str], Any]) -> list[Any]:
    results = []
    for name in KINDS if kind == "all" else (kind,):
        click.echo(f"{name}: reading decisions and computing their features…", err=True)
        results.append(work(name))
    return results


@match.command("train")
@click.option("--kind", type=click.Choice([*KINDS, "all"]), default="all", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def train(kind: str, as_json: bool) -> None:
    """Choose a learned ranker on the street's decisions and store it (JSON) where the app serves it from,
    only when it beats the default on later needs by a margin its uncertainty supports."""
    from marketplace.recommend import services, training

    with _reading() as (db, settings):
        results = _each_kind(kind, lambda name: training.train(db, settings.var_dir, name))
    services.forget()
    if as_json:
        click.echo(training.summary_json([dataclasses.asdict(result) for result in results]))
        return
    for result in results:
        if result.trained:
            click.echo(f"{result.kind}: trained on {result.why}; stored in {result.path}")
        else:
            click.echo(f"{result.kind}: not trained ({result.why}); the default scorer serves")
        if result.dropped:
            click.echo(f"  {result.dropped} decision(s) left out: their shift or line is gone")


@match.command("evaluate")
@click.option("--kind", type=click.Choice([*KINDS, "all"]), default="all", show_default=True)
@click.option("--test-fraction", type=TypedNumber(0.05, 0.6, whole=False), default=0.2, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the tables as JSON.")
def evaluate(kind: str, test_fraction: float, as_json: bool) -> None:
    """Train on the earlier decisions and rank the later ones: default scorer, learned ranker, text only;
    naive figures on the log and the NDCG@10 corrected for position bias, with the gate's verdict."""
    from marketplace.recommend import training

    with _reading() as (db, _settings):
        results = _each_kind(kind, lambda name: training.evaluate(db, name, test_fraction))
    if as_json:
        click.echo(training.summary_json(results))
        return
    for result in results:
        click.echo(training.as_table(result))
        click.echo("")


def _register() -> None:
    from marketplace.rounds.cli import round_command

    match.add_command(round_command)


_register()
