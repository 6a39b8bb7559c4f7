"""Scheduled work without Redis: the web processes keep MARKETPLACE_SCHEDULE themselves.

With ``MARKETPLACE_REDIS_URL`` set, ``marketplace worker`` runs the schedule as SAQ cron jobs. Unset (the
embedded setup: ``marketplace demo``, ``marketplace serve --workers N`` on SQLite or PostgreSQL), every web
process runs one thread of this module, never the event loop. It wakes at each kind's due minute (and every
few seconds besides), takes the latest due slot of each kind (cron in street time) and records it as the job
row keyed ``schedule:KIND:MINUTE``, the key the SAQ cron runs use. The key is unique: of all the processes
that wake for that minute, one inserts the row and the others get an IntegrityError, so the run happens
once however many workers and processes there are. The one that recorded it runs it on a thread of its own
(``backends.start_thread`` → ``runner.run``: the claim, the heartbeat with progress, the finish), as a job
a page queued would run; it shows at /admin/jobs like any other job.

The claim is in the database, so a restart finds a minute already done and does not repeat it. A slot that
fell due while no process was up runs when one starts (the latest slot only, and only when due within
MARKETPLACE_JOB_RETENTION_DAYS: a row is kept that long, and after it is pruned its key could no longer
tell that the slot was done). A scheduled run whose process stopped mid-way is taken over once its
heartbeat is older than MARKETPLACE_JOB_STALE_SECONDS (attempt 2; the claim decides who), and failed for an
admin to see once out of attempts, as a worker's reclaim scan would.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.jobs import backends, schedule, services
from marketplace.jobs.models import Job
from marketplace.settings import Settings

log = logging.getLogger(__name__)

# Woken at least this often (seconds) besides the due minutes: to take over a stopped run in time.
MAX_SLEEP = 10.0
# After a due minute, wait this much more: the clock of a cron is read in whole minutes.
AFTER_DUE = 0.5


def _cron(cron: str, now: datetime) -> Any:
    from croniter import croniter  # half a second to import: only in processes that keep a schedule

    return croniter(cron, now.astimezone(schedule.CRON_TIMEZONE))


def latest_due(cron: str, now: datetime) -> datetime:
    """The last time ``cron`` (street time) fell due at or before ``now``, in UTC."""
    due: datetime = _cron(cron, now + timedelta(microseconds=1)).get_prev(datetime)
    return due.astimezone(UTC)


def next_due(cron: str, now: datetime) -> datetime:
    due: datetime = _cron(cron, now).get_next(datetime)
    return due.astimezone(UTC)


def minute_of(due: datetime) -> str:
    """As the SAQ cron path records it (``schedule.slot``): 2026-12-03T08:15, UTC."""
    return due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def record_slot(writer: sessionmaker[Session], reader: sessionmaker[Session], kind: str, minute: str) -> int | None:
    """The job row of ``kind``'s run due at ``minute``, recorded by this call (its id), or None when
    it was already recorded, by this process or any other. A read first, so a slot already done costs no
    write; then the insert, whose unique key decides between processes racing for the same minute."""
    key = schedule.slot_key(kind, minute)
    with reader() as db:
        if db.execute(sa.select(Job.id).where(Job.key == key)).first() is not None:  # type: ignore[arg-type]
            return None
    try:
        with session_scope(writer) as db:
            return services.enqueue(db, kind, {"scheduled": minute}, key=key).id
    except IntegrityError:
        return None


@dataclass
class EmbeddedSchedule:
    """One process's schedule thread; ``start`` and ``stop`` are the app's startup and shutdown hooks."""

    settings: Settings
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    clock: Callable[[], datetime] = utcnow
    checked: dict[str, str] = field(default_factory=dict)  # kind → the latest minute found recorded
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="embedded-schedule", daemon=True)
        self._thread.start()
        kinds = "; ".join(f"{kind}={cron}" for kind, cron in self.settings.schedule)
        log.info("schedule kept by this process (no MARKETPLACE_REDIS_URL): %s", kinds)

    def stop(self) -> None:
        """Stop waking; a run already started finishes on its own thread (or is taken over after a restart)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the database may be away for a moment: try again at the next wake
                log.warning("the schedule's pass failed", exc_info=True)
            self._stop.wait(self.seconds_to_sleep())

    def seconds_to_sleep(self) -> float:
        now = self.clock()
        soonest = min((next_due(cron, now) for _kind, cron in self.settings.schedule), default=None)
        if soonest is None:
            return MAX_SLEEP
        return max(0.1, min(MAX_SLEEP, (soonest - now).total_seconds() + AFTER_DUE))

    def tick(self) -> list[int]:
        """One pass: record and start each kind's due slot not yet recorded, take over stopped runs.
        Returns the ids of the jobs this process started."""
        now = self.clock()
        days = self.settings.job_retention_days
        horizon = now - timedelta(days=days) if days > 0 else None
        started: list[int] = []
        for kind, cron in self.settings.schedule:
            due = latest_due(cron, now)
            minute = minute_of(due)
            if self.checked.get(kind) == minute:
                continue
            job_id = None if horizon is not None and due < horizon else self._record(kind, minute)
            self.checked[kind] = minute
            if job_id is None:
                log.info("scheduled %s due %s: already recorded", kind, minute)
            else:
                log.info("scheduled %s due %s: job %s", kind, minute, job_id)
                started.append(job_id)
        started += self._take_over()
        for job_id in started:
            backends.start_thread(self.settings, self.writer, self.reader, job_id)
        return started

    def _record(self, kind: str, minute: str) -> int | None:
        return record_slot(self.writer, self.reader, kind, minute)

    def _take_over(self) -> list[int]:
        """Scheduled runs whose process stopped (stale heartbeat, attempts left; or recorded and never started):
        started here too, and the claim lets one process have each. Those out of attempts are failed."""
        stale = self.settings.job_stale_seconds
        with self.reader() as db:
            ids = services.reclaimable(db, stale, scheduled_only=True)
            exhausted = services.any_exhausted(db, stale)
        if exhausted:
            with session_scope(self.writer) as db:
                for job_id, kind in services.give_up_interrupted(db, stale):
                    log.warning("job %s (%s) was interrupted on its last attempt: failed", job_id, kind)
        running_here = backends.running_here()
        return [job_id for job_id in ids if job_id not in running_here]


def keeps_schedule(settings: Settings) -> bool:
    """The web processes keep the schedule when no Redis carries it to a worker, and there is one."""
    return not settings.redis_url and bool(settings.schedule)


def attach(app: Any) -> EmbeddedSchedule | None:
    """Start the schedule with ``app`` (a web process of the embedded setup) and stop it with it; None
    when the workers keep it (Redis) or nothing is scheduled. Each server process calls this for its own
    app, so each has its own thread (forked workers included: the hooks run after the fork)."""
    settings: Settings = app.state.settings
    if not keeps_schedule(settings):
        return None
    kept = EmbeddedSchedule(settings, app.state.session_factory, app.state.reader_factory)
    app.on_startup.append(kept.start)
    app.on_shutdown.append(kept.stop)  # the hooks run last first: before the engine is disposed
    app.state.embedded_schedule = kept
    return kept
