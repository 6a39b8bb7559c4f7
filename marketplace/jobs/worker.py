"""``marketplace worker``: a SAQ worker on MARKETPLACE_REDIS_URL that runs the jobs the web processes queue.

SAQ delivers ``run_job(job_id=...)``; the runner claims the row and does the work on SAQ's thread
pool (jobs are synchronous: the database sessions and the matching are). Beside it, a reclaim scan
every few seconds re-queues what a dead worker left: running rows whose heartbeat is older than
MARKETPLACE_JOB_STALE_SECONDS (attempts left), and queued rows that waited that long (their hand-over
to Redis may have failed). Rows out of attempts are failed for admins to see. The scan, not SAQ's own
sweep, is what survives a worker killed mid-job: SAQ would only see the job as stuck after a timeout
we leave off, and the database knows better (docs/jobs.md).
"""

import asyncio
import logging
import os
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import create_db_engine, make_session_factory, session_scope
from marketplace.jobs import backends, runner, schedule, services
from marketplace.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]


def run_job(ctx: dict[str, Any], *, job_id: int) -> str:
    """The SAQ function (run on SAQ's thread pool): claim and run the row; "skipped" if someone holds it."""
    runtime: Runtime = ctx["runtime"]
    return runner.run(int(job_id), runtime.writer, runtime.reader, runtime.settings)


def run_scheduled(ctx: dict[str, Any], kind: str) -> str:
    """A scheduled run (SAQ cron): record it as a job keyed by its minute, then run it here. The key is
    unique, so when several workers fire the same minute only the first records it and runs it."""
    runtime: Runtime = ctx["runtime"]
    minute = schedule.slot(int(getattr(ctx.get("job"), "scheduled", 0) or 0))
    key = schedule.slot_key(kind, minute)
    try:
        with session_scope(runtime.writer) as db:
            job = services.enqueue(db, kind, {"scheduled": minute}, key=key)
    except IntegrityError:
        log.info("%s: already recorded by another worker", key)
        return "skipped"
    return runner.run(job.id or 0, runtime.writer, runtime.reader, runtime.settings)


def scan_interval(settings: Settings) -> float:
    return max(1.0, min(10.0, settings.job_stale_seconds / 3))


def scan(runtime: Runtime) -> list[int]:
    """One reclaim pass: fail the exhausted, return the ids to put on the queue again."""
    stale = runtime.settings.job_stale_seconds
    with session_scope(runtime.writer) as db:
        for job_id, kind in services.give_up_interrupted(db, stale):
            log.warning("job %s (%s) was interrupted on its last attempt: failed", job_id, kind)
            services.observe(kind, "failed", 0.0)
    with runtime.reader() as db:
        return services.reclaimable(db, stale)


async def reclaim_forever(runtime: Runtime, queue: Any) -> None:
    while True:
        try:
            for job_id in await asyncio.to_thread(scan, runtime):
                log.info("job %s: re-queued (its worker went silent, or it waited too long)", job_id)
                await backends.put(queue, job_id, why="reclaim")
        except Exception:  # the database or Redis may be away for a moment; try again next time
            log.warning("reclaim scan failed", exc_info=True)
        await asyncio.sleep(scan_interval(runtime.settings))


def build_worker(settings: Settings, runtime: Runtime, *, concurrency: int) -> Any:
    from saq import Worker

    queue = backends.saq_queue(settings)

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["runtime"] = runtime
        ctx["reclaim"] = asyncio.create_task(reclaim_forever(runtime, queue))

    async def shutdown(ctx: dict[str, Any]) -> None:
        task = ctx.get("reclaim")
        if task is not None:
            task.cancel()

    return Worker(
        queue,
        functions=[(backends.SAQ_FUNCTION, run_job)],
        concurrency=concurrency,
        cron_jobs=schedule.cron_jobs(settings.schedule, run_scheduled),
        cron_tz=schedule.CRON_TIMEZONE,
        startup=startup,
        shutdown=shutdown,
        # On SIGTERM SAQ cancels its tasks at once (a grace period would also wait for the idle ones);
        # a job already running on the thread pool still runs to its end, since the pool is shut down
        # with wait=True. A SIGKILL leaves the row to the next worker's reclaim scan.
        shutdown_grace_period_s=None,
    )


def serve(settings: Settings, *, concurrency: int = 2) -> None:
    """Run the worker until SIGINT or SIGTERM."""
    engine = create_db_engine(settings.database)
    runtime = Runtime(settings, make_session_factory(engine), make_session_factory(engine, readonly=True))
    worker = build_worker(settings, runtime, concurrency=concurrency)

    async def main() -> None:
        await worker.queue.connect()
        try:
            log.warning(
                "worker %s on queue %r (pid %s, %s at a time, stale after %s s; schedule: %s)",
                worker.id,
                settings.job_queue,
                os.getpid(),
                concurrency,
                settings.job_stale_seconds,
                "; ".join(f"{kind}={cron}" for kind, cron in settings.schedule) or "none",
            )
            await worker.start()
        finally:
            await worker.queue.disconnect()

    try:
        asyncio.run(main())
    finally:
        engine.dispose()
