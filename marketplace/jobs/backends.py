"""Handing a committed job to whatever carries the work: SAQ on Redis, or a thread of this process.

With ``MARKETPLACE_REDIS_URL`` set, ``submit`` puts a SAQ job naming the row on the queue and returns;
a ``marketplace worker`` takes it. Unset (the embedded demo), the job runs on a thread here, as rounds
always did: the request only queues it. Either way the row was committed first, so whoever runs it
finds it, and the claim makes sure only one does.
"""

import asyncio
import logging
import threading
import uuid
from typing import TYPE_CHECKING

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope
from marketplace.jobs import runner, services
from marketplace.settings import Settings

if TYPE_CHECKING:  # SAQ takes half a second to import: only processes that use Redis pay for it
    from saq import Queue

log = logging.getLogger(__name__)

# The one function the SAQ queue knows: run_job(job_id=...); the row says what to do.
SAQ_FUNCTION = "run_job"
_threads: dict[int, threading.Thread] = {}
_lock = threading.Lock()


def saq_queue(settings: Settings) -> "Queue":
    """A SAQ queue on the settings' Redis, named by MARKETPLACE_JOB_QUEUE (several sites may share a Redis)."""
    from saq import Queue

    assert settings.redis_url, "no MARKETPLACE_REDIS_URL"
    return Queue.from_url(settings.redis_url, name=settings.job_queue)


async def put(queue: "Queue", job_id: int, *, why: str = "new") -> None:
    """One SAQ job for the row. SAQ's timeout is off (0): a long round is not a stuck one, and the
    row's heartbeat, not SAQ, decides when a job was abandoned. No SAQ retries: the reclaim scan
    re-queues abandoned rows, and a job that raised stays failed until an admin retries it."""
    await queue.enqueue(
        SAQ_FUNCTION, job_id=job_id, key=f"job:{job_id}:{why}:{uuid.uuid4().hex[:8]}", timeout=0, retries=1
    )


def put_on_redis(settings: Settings, job_id: int, *, why: str = "new") -> None:
    """Enqueue from synchronous code (a request's thread, the command line)."""

    async def enqueue() -> None:
        queue = saq_queue(settings)
        await queue.connect()
        try:
            await put(queue, job_id, why=why)
        finally:
            await queue.disconnect()

    asyncio.run(enqueue())


def submit(settings: Settings, writer: sessionmaker[Session], reader: sessionmaker[Session], job_id: int) -> None:
    """Start the committed job ``job_id`` on the configured backend; returns at once."""
    if settings.redis_url:
        try:
            put_on_redis(settings, job_id)
        except Exception:  # the row stays queued; the worker's scan finds it after the stale limit
            log.warning("could not put job %s on Redis; a worker's scan will pick it up", job_id, exc_info=True)
        return
    # No worker reclaims anything here: jobs of this process that went silent (it was restarted) are failed,
    # so an admin sees them and can retry.
    with session_scope(writer) as db:
        for interrupted, kind in services.give_up_interrupted(db, settings.job_stale_seconds, every_attempt=True):
            log.warning("job %s (%s) was interrupted", interrupted, kind)
    start_thread(settings, writer, reader, job_id)


def start_thread(
    settings: Settings, writer: sessionmaker[Session], reader: sessionmaker[Session], job_id: int
) -> threading.Thread:
    def work() -> None:
        try:
            runner.run(job_id, writer, reader, settings)
        except Exception:  # recorded on the row and logged by the runner
            log.exception("job %s", job_id)
        finally:
            with _lock:
                _threads.pop(job_id, None)

    thread = threading.Thread(target=work, name=f"job-{job_id}", daemon=True)
    with _lock:
        _threads[job_id] = thread
    thread.start()
    return thread


def running_here() -> set[int]:
    """The jobs whose threads run in this process."""
    with _lock:
        return {job_id for job_id, thread in _threads.items() if thread.is_alive()}


def wait(job_id: int | None = None, timeout: float = 120.0) -> bool:
    """Wait for one job's thread in this process (or all); True when none of them still runs."""
    with _lock:
        threads = [_threads[job_id]] if job_id in _threads else ([] if job_id else list(_threads.values()))
    for thread in threads:
        thread.join(timeout)
    return not any(thread.is_alive() for thread in threads)
