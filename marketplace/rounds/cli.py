"""``marketplace match round``: run matching rounds here and now, with their progress in the terminal.

The same rounds as the admins' page (one at a time per street, the same rows, the same proposals in the
review queue), run on this process instead of the app's: one round per street, one street after the
other, or only the street ``--street CODE`` names. ``--json`` prints only a summary per round (a JSON
object per line) for scripts.
"""

import json
import sys
from typing import Any

import click

from marketplace.rounds.models import MatchRound, RoundMethod
from marketplace.whole_numbers import TypedNumber


def summary(row: MatchRound) -> dict[str, Any]:
    return {
        "id": row.id,
        "street_id": row.street_id,
        "status": row.status.value,
        "method": row.method.value,
        "k": row.k,
        "lines": row.lines,
        "shifts": row.shifts,
        "line_candidates": row.line_candidates,
        "shift_candidates": row.shift_candidates,
        "line_proposals": row.line_proposals,
        "shift_proposals": row.shift_proposals,
        "skipped": row.skipped,
        "objective": row.objective,
        "seconds": row.seconds or {},
        "duration_seconds": round(row.duration or 0.0, 3),
        "error": row.error,
    }


def _printer(quiet: bool) -> Any:
    """A progress line per beat, rewritten in place on a terminal, one per stage change otherwise."""
    last: dict[str, Any] = {"stage": None}

    def show(stage: str, done: int, total: int) -> None:
        if quiet:
            return
        line = f"{stage:<11} {done:>7,}/{total:<7,}" if total > 1 else f"{stage:<11}"
        if sys.stderr.isatty():
            click.echo(f"\r{line}", nl=False, err=True)
        elif stage != last["stage"] or done == total:
            click.echo(line, err=True)
        last["stage"] = stage

    return show


@click.command("round")
@click.option("--greedy", is_flag=True, help="The greedy baseline instead of the exactly optimal plan.")
@click.option("--k", "k", type=TypedNumber(1, 50), default=20, show_default=True, help="Candidates per line or shift.")
@click.option(
    "--street",
    "street_code",
    metavar="CODE",
    default=None,
    help="Plan only this street (its code). Default: every street, one round each, one after the other.",
)
@click.option("--json", "as_json", is_flag=True, help="Print only a JSON summary of each round, one per line.")
def round_command(greedy: bool, k: int, street_code: str | None, as_json: bool) -> None:
    """Run matching rounds: propose the best plan for every open line and shift to the review queue."""
    from marketplace.db.engine import create_db_engine, make_session_factory
    from marketplace.places.services import all_streets
    from marketplace.settings import Settings

    settings = Settings.from_env()
    engine = create_db_engine(settings.database)
    writer, reader = make_session_factory(engine), make_session_factory(engine, readonly=True)
    method = RoundMethod.GREEDY if greedy else RoundMethod.OPTIMAL
    try:
        with reader() as db:
            streets = [(street.id, street.code) for street in all_streets(db)]
        targets: list[tuple[int | None, str | None]] = list(streets) or [(None, None)]
        if street_code is not None:
            targets = [(street_id, code) for street_id, code in streets if code == street_code]
            if not targets:
                known = ", ".join(code for _id, code in streets[:10]) + (", …" if len(streets) > 10 else "")
                raise click.BadParameter(
                    f"no street has the code {street_code!r} (known: {known or 'none'})", param_hint="--street"
                )
        failed: list[str] = []
        for street_id, code in targets:
            try:
                result = _run_one(settings, writer, reader, method, k, street_id, code, as_json)
            except click.ClickException as error:
                if len(targets) == 1:
                    raise
                click.echo(f"street {code}: {error.message}", err=True)
                failed.append(code or "?")
                continue
            _report(result, code, as_json)
    finally:
        engine.dispose()
    if failed:
        names = ", ".join(failed)
        raise click.ClickException(f"the rounds of {len(failed)} of {len(targets)} streets did not run: {names}")


def _run_one(
    settings: Any,
    writer: Any,
    reader: Any,
    method: RoundMethod,
    k: int,
    street_id: int | None,
    code: str | None,
    as_json: bool,
) -> dict[str, Any]:
    """Start one street's round (its own row and job) and run it here; its summary."""
    from marketplace.db.engine import session_scope
    from marketplace.jobs import services as jobs
    from marketplace.jobs import services as jobs_services
    from marketplace.jobs.models import Job
    from marketplace.rounds import jobs as round_jobs
    from marketplace.rounds import services

    try:
        with session_scope(writer) as db:
            row = services.start(db, method=method, k=k, started_by_id=None, actor_role="cli", street_id=street_id)
            # Recorded as a job like the admins' rounds (/admin/jobs), but run here, in this process.
            job = jobs.enqueue(db, round_jobs.KIND, round_jobs.arguments(row.id or 0, None), street_id=row.street_id)
    except services.RoundBusy as busy:
        raise click.ClickException(
            f"round #{busy.round_id or '?'} is still running ({busy.stage}); only one round runs at a time"
            + (f" in street {code}" if code else "")
        ) from None
    round_id = row.id or 0
    if not as_json:
        where = f" (street {code})" if code else ""
        click.echo(f"round #{round_id}{where}: {method.value}, k = {k}", err=True)
    outcome = jobs_services.run(job.id or 0, writer, reader, settings, on_progress=_printer(as_json))
    if outcome != "finished":
        if not as_json:
            click.echo("", err=True)
        with reader() as db:
            failed = db.get(Job, job.id)
            error = failed.error if failed else outcome
        raise click.ClickException(f"round #{round_id} failed: {error}")
    with reader() as db:
        finished = db.get(MatchRound, round_id)
        assert finished is not None
        return summary(finished) | {"street": code}


def _report(result: dict[str, Any], code: str | None, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo("", err=True)
    where = f" (street {code})" if code else ""
    click.echo(
        f"round #{result['id']}{where} finished in {result['duration_seconds']:.1f} s: "
        f"{result['line_proposals']} offer proposals for {result['lines']} open lines, "
        f"{result['shift_proposals']} volunteer proposals for {result['shifts']} open shifts"
        + (f", {result['skipped']} skipped (taken meanwhile)" if result["skipped"] else "")
    )
    for stage, seconds in result["seconds"].items():
        if stage not in ("components", "largest_component"):
            click.echo(f"  {stage:<17} {seconds:8.2f} s")
    click.echo("the proposals wait in the review queue: /review")
