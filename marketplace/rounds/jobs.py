"""A matching round as a background job (kind ``match.round``): the round's row says what is left to do.

The job may be claimed more than once (its worker died); the round's proposals and its finish are
written in one transaction fenced by the job's claim, so they land once. A claim that finds the
round already finished (the worker died after that commit, before finishing the job) only reports it;
one that finds it failed (an admin retries the job) queues the round again first.
"""

import time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.jobs.services import Context
from marketplace.rounds import services, worker
from marketplace.rounds.cli import summary
from marketplace.rounds.models import MatchRound, RoundStatus

KIND = "match.round"
_table = MatchRound.__table__  # type: ignore[attr-defined]


def arguments(round_id: int, client_address: str | None) -> dict[str, Any]:
    return {"round_id": round_id, "client_address": client_address}


def _queue_again(ctx: Context, round_id: int) -> None:
    try:
        with session_scope(ctx.writer) as db:
            db.execute(
                _table.update()
                .where(_table.c.id == round_id, _table.c.status == RoundStatus.FAILED.value)
                .values(
                    status=RoundStatus.QUEUED.value,
                    error=None,
                    finished_at=None,
                    stage="queued",
                    done=0,
                    total=0,
                    heartbeat_at=utcnow(),
                )
            )
    except IntegrityError:  # another round is live: one at a time
        with ctx.reader() as db:
            raise services.RoundBusy(services.live_round(db)) from None


def run_round_job(ctx: Context) -> dict[str, Any]:
    round_id = int(ctx.arguments["round_id"])
    with ctx.reader() as db:
        status = db.execute(sa.select(MatchRound.status).where(MatchRound.id == round_id)).scalar()
    if status is None:
        raise LookupError(f"round {round_id} does not exist")
    if status is RoundStatus.FINISHED:
        with ctx.reader() as db:
            row = db.get(MatchRound, round_id)
            assert row is not None
            return summary(row)
    if status is RoundStatus.FAILED:
        _queue_again(ctx, round_id)
    started = time.perf_counter()
    worker.run_with_heartbeat(
        round_id,
        ctx.writer,
        ctx.reader,
        client_address=ctx.arguments.get("client_address"),
        on_beat=lambda tracker: ctx.progress(*tracker.read()),
        fence=ctx.fence,
    )
    with ctx.reader() as db:
        row = db.get(MatchRound, round_id)
        assert row is not None  # the round's duration is observed by services._finish
        return summary(row) | {"job_seconds": round(time.perf_counter() - started, 3)}


SCHEDULE_KIND = "rounds.schedule"


def run_schedules(ctx: Context) -> dict[str, Any]:
    """The sweep ``rounds.schedule``: start every street's due round, each its own queued job, as the pages do."""
    from marketplace.jobs import services as jobs_services
    from marketplace.rounds import schedule

    ctx.progress("streets", 0, 1)
    with session_scope(ctx.writer) as db:
        started = schedule.start_due(db)
        job_ids = [
            jobs_services.enqueue(db, KIND, arguments(item.round_id, None), street_id=item.street_id).id or 0
            for item in started
            if item.round_id is not None
        ]
    # Committed: whoever runs a round's job finds its round and its job.
    for job_id in job_ids:
        jobs_services.submit(ctx.settings, ctx.writer, ctx.reader, job_id)
    ctx.progress("streets", 1, 1)
    return {
        "started": len(job_ids),
        "busy": sum(1 for item in started if item.round_id is None),
        "rounds": [item.round_id for item in started if item.round_id is not None],
    }
