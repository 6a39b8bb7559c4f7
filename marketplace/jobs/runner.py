"""Running one job wherever it is carried (a SAQ worker, a thread of the web process, the command line):
claim the row, run the kind's function with a heartbeat beside it, then finish or fail the row.

A job that raises fails at once with its error (a deterministic error would only repeat; an admin can
retry it from /admin/jobs). A job whose worker dies mid-way is not failed here, since nobody is left
to do it: its heartbeat stops, and after the stale limit a worker reclaims it (``worker.py``), up to
``max_attempts`` claims.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.jobs import services
from marketplace.jobs.kinds import KINDS
from marketplace.jobs.models import Job
from marketplace.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    """What a kind's function gets: its arguments, the databases, and ways to report and to fence."""

    job_id: int
    kind: str
    arguments: dict[str, Any]
    attempt: int
    started_by_id: int | None
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    settings: Settings
    token: str
    _progress: tuple[str, int, int] = ("starting", 0, 0)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def progress(self, stage: str, done: int, total: int) -> None:
        """The current stage and how far it is; the heartbeat writes it to the row."""
        with self._lock:
            self._progress = (stage, done, total)

    def read(self) -> tuple[str, int, int]:
        with self._lock:
            return self._progress

    def fence(self, db: Session) -> None:
        """Call inside the transaction that writes the job's effects: they commit only while the claim holds."""
        services.fence(db, self.job_id, self.token)


def beat_seconds(settings: Settings) -> float:
    # Several beats per stale period, so one slow beat never looks like a dead worker.
    return max(0.2, min(1.0, settings.job_stale_seconds / 5))


def run(
    job_id: int,
    writer: sessionmaker[Session],
    reader: sessionmaker[Session],
    settings: Settings,
    *,
    token: str | None = None,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> str:
    """Claim and run the job; "finished", "failed", or "skipped" when someone else holds it."""
    token = token or services.new_token()
    if not services.claim(writer, job_id, token, settings.job_stale_seconds):
        log.info("job %s: not claimed (running elsewhere, or no longer queued)", job_id)
        return "skipped"
    with reader() as db:
        row = db.get(Job, job_id)
        assert row is not None
        context = JobContext(
            job_id,
            row.kind,
            dict(row.arguments or {}),
            row.attempts,
            row.started_by_id,
            writer,
            reader,
            settings,
            token,
        )
    if row.attempts > 1:
        services.observe(context.kind, "retried", 0.0)
    started = time.perf_counter()
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(beat_seconds(settings)):
            try:
                progress = context.read()
                if on_progress is not None:
                    on_progress(*progress)
                if not services.beat(writer, job_id, token, *progress):
                    return  # the claim is gone: the fence stops the effects
            except Exception:  # a missed beat is not a failed job; the next one may get through
                log.warning("heartbeat of job %s failed", job_id, exc_info=True)

    beating = threading.Thread(target=heartbeat, name=f"job-{job_id}-heartbeat", daemon=True)
    beating.start()
    try:
        kind = KINDS.get(context.kind)
        if kind is None:
            raise LookupError(f"unknown job kind {context.kind!r}")
        result = kind.run(context)
    except Exception as error:
        stop.set()
        beating.join()
        log.exception("job %s (%s) failed", job_id, context.kind)
        if not isinstance(error, services.LostClaim):
            services.fail(writer, job_id, token, f"{type(error).__name__}: {error}")
            services.observe(context.kind, "failed", time.perf_counter() - started)
        return "failed"
    stop.set()
    beating.join()
    if on_progress is not None:
        on_progress("done", 1, 1)
    if services.finish(writer, job_id, token, result):
        services.observe(context.kind, "finished", time.perf_counter() - started)
        return "finished"
    return "skipped"
