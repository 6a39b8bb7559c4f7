"""``marketplace match round``."""

import click


@click.command("round")
def round_command() -> None:
    """Run a matching round (being built)."""
    raise click.ClickException("not available yet")
