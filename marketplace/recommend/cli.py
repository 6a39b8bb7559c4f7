"""``marketplace match``: matching rounds, training the ranker and evaluating it, for people and scripts."""

import click


@click.group("match")
def match() -> None:
    """Matching: rounds, training and evaluation."""


def _register() -> None:
    from marketplace.rounds.cli import round_command

    match.add_command(round_command)


_register()
