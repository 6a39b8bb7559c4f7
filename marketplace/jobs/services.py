"""The job row's life, each step one conditional UPDATE: queue, claim, beat, finish or fail, retry.

The row is the truth. Whoever carries the work (a SAQ worker, a thread of the web process, the
command line) first *claims* the row: ``queued → running`` (or a ``running`` row whose heartbeat is
older than the stale limit: its worker is presumed dead). The claim is one UPDATE whose WHERE clause
holds the condition, so two claimants racing for the same row cannot both get it: on SQLite writers
are serialised (BEGIN IMMEDIATE), on PostgreSQL the second UPDATE waits for the first's row lock and
then re-reads the row, no longer matching. Every later write names the claim (``claimed_by``), so a
worker that was presumed dead and wakes up cannot finish a job someone else took over.
"""

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from litestar.exceptions import PermissionDeniedException
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.audit.services import record
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.domain_surface import surface_attribute
from marketplace.i18n import gettext as _
from marketplace.jobs.models import DEFAULT_MAX_ATTEMPTS, ERROR_MAX, LIVE_STATUSES, Job, JobStatus
from marketplace.places.services import admin_street_ids
from marketplace.security.identity import CurrentUser

if TYPE_CHECKING:
    from marketplace.jobs.backends import submit as submit
    from marketplace.jobs.backends import wait as wait
    from marketplace.jobs.kinds import Context as Context
    from marketplace.jobs.runner import run as run

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "Context": "kinds",
    "run": "runner",
    "submit": "backends",
    "wait": "backends",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


log = logging.getLogger(__name__)

_table = Job.__table__  # type: ignore[attr-defined]
_c = _table.c
INTERRUPTED = "interrupted: the process running it stopped"
MAX_PAGE_SIZE = 100


class LostClaim(RuntimeError):
    """This worker no longer holds the job (it was presumed dead and the job reclaimed)."""


class NotRetryable(ValueError):
    """Only a failed job can be retried."""


class AlreadyLive(RuntimeError):
    """A job of a kind that runs one at a time is already queued or running: ``job_id``."""

    def __init__(self, kind: str, job_id: int | None) -> None:
        super().__init__(f"a {kind} job is already live: {job_id}")
        self.kind = kind
        self.job_id = job_id


# Kinds that run one at a time in the whole deployment. While such a job is live its row holds the key
# ``live:KIND``; the job table's unique key refuses a second live row (the database decides, whoever
# races), and the key is let go when the job finishes or fails.
EXCLUSIVE_KINDS = frozenset({"match.train"})
LIVE_KEY_PREFIX = "live:"


def live_key(kind: str) -> str | None:
    return f"{LIVE_KEY_PREFIX}{kind}" if kind in EXCLUSIVE_KINDS else None


def _released_key() -> Any:
    """The key a job keeps once it ended: a ``live:`` key is let go (NULL), any other stays (a schedule slot)."""
    return sa.case((_c.key.like(f"{LIVE_KEY_PREFIX}%"), sa.null()), else_=_c.key)


def live_job_id(db: Session, kind: str) -> int | None:
    key = live_key(kind)
    if key is None:
        return None
    found = db.execute(sa.select(_c.id).where(_c.key == key)).scalar_one_or_none()
    return int(found) if found is not None else None


def enqueue_exclusive(
    db: Session, kind: str, arguments: dict[str, Any] | None = None, *, started_by_id: int | None = None
) -> Job:
    """Queue a job of a one-at-a-time kind; AlreadyLive (naming the live one) while another is queued or running."""
    key = live_key(kind)
    assert key is not None, kind
    try:
        with db.begin_nested():
            return enqueue(db, kind, arguments, started_by_id=started_by_id, key=key)
    except IntegrityError:
        raise AlreadyLive(kind, live_job_id(db, kind)) from None


def new_token() -> str:
    """Who is claiming: host, process and a random part (two threads of one process differ too)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:16]}"


def enqueue(
    db: Session,
    kind: str,
    arguments: dict[str, Any] | None = None,
    *,
    started_by_id: int | None = None,
    key: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    street_id: int | None = None,
) -> Job:
    """Add a queued job in the caller's transaction; hand it to a backend only after the commit.
    ``street_id``: the street it works for (its admins see it); None for deployment-wide work."""
    row = Job(
        kind=kind,
        arguments=arguments or {},
        started_by_id=started_by_id,
        key=key,
        max_attempts=max_attempts,
        street_id=street_id,
    )
    db.add(row)
    db.flush()
    return row


def _update(db: Session, *conditions: Any, **values: Any) -> int:
    result = db.execute(
        _table.update().where(*conditions).values(**values).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim(factory: sessionmaker[Session], job_id: int, token: str, stale_seconds: int) -> bool:
    """Take the job for ``token``: True for exactly one claimant; everyone else gets 0 rows and does nothing."""
    now = utcnow()
    with session_scope(factory) as db:
        return (
            _update(
                db,
                _c.id == job_id,
                _c.attempts < _c.max_attempts,
                sa.or_(
                    _c.status == JobStatus.QUEUED.value,
                    sa.and_(
                        _c.status == JobStatus.RUNNING.value, _c.heartbeat_at < now - timedelta(seconds=stale_seconds)
                    ),
                ),
                status=JobStatus.RUNNING.value,
                claimed_by=token,
                attempts=_c.attempts + 1,
                started_at=now,
                heartbeat_at=now,
                error=None,
            )
            == 1
        )


def _mine(job_id: int, token: str) -> tuple[Any, ...]:
    return (_c.id == job_id, _c.claimed_by == token, _c.status == JobStatus.RUNNING.value)


def beat(factory: sessionmaker[Session], job_id: int, token: str, stage: str, done: int, total: int) -> bool:
    """Write progress and the heartbeat; False once the claim is lost (or the job ended)."""
    with session_scope(factory) as db:
        return (
            _update(
                db,
                *_mine(job_id, token),
                stage=stage[:32],
                done=max(done, 0),
                total=max(total, 0),
                heartbeat_at=utcnow(),
            )
            == 1
        )


def fence(db: Session, job_id: int, token: str) -> None:
    """Inside the transaction that writes a job's effects: still ours, or LostClaim (and the effects roll
    back). The UPDATE holds the row (PostgreSQL's row lock, SQLite's write lock) until that commit, so
    no one can reclaim the job between this check and the effects landing."""
    if _update(db, *_mine(job_id, token), heartbeat_at=utcnow()) != 1:
        raise LostClaim(f"job {job_id} is no longer held by this worker")


def finish(factory: sessionmaker[Session], job_id: int, token: str, result: dict[str, Any] | None) -> bool:
    now = utcnow()
    with session_scope(factory) as db:
        done = _update(
            db,
            *_mine(job_id, token),
            status=JobStatus.FINISHED.value,
            stage="done",
            done=_c.total,
            result=result,
            key=_released_key(),
            finished_at=now,
            heartbeat_at=now,
        )
        return done == 1


def fail(factory: sessionmaker[Session], job_id: int, token: str, error: str) -> bool:
    now = utcnow()
    with session_scope(factory) as db:
        return (
            _update(
                db,
                *_mine(job_id, token),
                status=JobStatus.FAILED.value,
                error=(error or "failed")[:ERROR_MAX],
                key=_released_key(),
                finished_at=now,
                heartbeat_at=now,
            )
            == 1
        )


def _stale(stale_seconds: int) -> Any:
    return sa.and_(_c.status == JobStatus.RUNNING.value, _c.heartbeat_at < utcnow() - timedelta(seconds=stale_seconds))


# A scheduled run's key: ``schedule:KIND:MINUTE`` (jobs/schedule.py).
SCHEDULED_KEY_PREFIX = "schedule:"


def reclaimable(db: Session, stale_seconds: int, *, limit: int = 100, scheduled_only: bool = False) -> list[int]:
    """Jobs a worker should (re)start: running ones whose worker went silent, with attempts left, and
    queued ones older than the stale limit (their hand-over to the queue may have been lost).
    ``scheduled_only``: only scheduled runs (the web processes' own schedule takes those over, nothing else)."""
    before = utcnow() - timedelta(seconds=stale_seconds)
    only = [_c.key.like(f"{SCHEDULED_KEY_PREFIX}%")] if scheduled_only else []
    query = (
        sa.select(_c.id)
        .where(
            *only,
            _c.attempts < _c.max_attempts,
            sa.or_(
                _stale(stale_seconds),
                # A queued row's heartbeat is when it was last queued (a retry), else its creation.
                sa.and_(_c.status == JobStatus.QUEUED.value, sa.func.coalesce(_c.heartbeat_at, _c.created_at) < before),
            ),
        )
        .order_by(_c.id)
        .limit(limit)
    )
    return [int(job_id) for job_id in db.execute(query).scalars()]


def any_exhausted(db: Session, stale_seconds: int) -> bool:
    """Whether a running job went silent on its last attempt: what ``give_up_interrupted`` fails (a read
    first, so a scan takes a writer, and on SQLite the write lock, only when there is something to fail)."""
    condition = sa.and_(_stale(stale_seconds), _c.attempts >= _c.max_attempts)
    return bool(db.execute(sa.select(sa.exists().where(condition))).scalar())


def give_up_interrupted(db: Session, stale_seconds: int, *, every_attempt: bool = False) -> list[tuple[int, str]]:
    """Fail running jobs whose worker went silent: those out of attempts (the worker's scan), or all of them
    (``every_attempt``: the web process's own jobs, when no worker is there to reclaim them).
    Returns (id, kind) of each, for the metrics."""
    condition = _stale(stale_seconds)
    if not every_attempt:
        condition = sa.and_(condition, _c.attempts >= _c.max_attempts)
    rows = [(int(i), str(k)) for i, k in db.execute(sa.select(_c.id, _c.kind).where(condition)).all()]
    if rows:
        now = utcnow()
        _update(
            db,
            _c.id.in_([job_id for job_id, _kind in rows]),
            condition,
            status=JobStatus.FAILED.value,
            error=INTERRUPTED,
            key=_released_key(),
            finished_at=now,
        )
    return rows


class EveryStreetJob(PermissionDeniedException):
    """A street admin asked for a job whose run covers every street of the deployment (403, the reason said)."""

    def __init__(self, kind: str) -> None:
        from marketplace.jobs.schemas import kind_label

        super().__init__(
            _("“%(kind)s” covers every street, beyond those you administer: only a city admin may start it.")
            % {"kind": kind_label(kind)},
            extra={"code": "every_street_job", "kind": kind},
        )


# Kinds whose run covers every street whatever its arguments: the rankers learn from every street's
# decisions, and every street's suggestions use them. A city admin starts (or retries) one, no one else.
EVERY_STREET_KINDS = frozenset({"match.train"})


def may_start_every_street_job(viewer: CurrentUser) -> bool:
    """Whether ``viewer`` may start work that covers every street: a city admin only (street admins' jobs
    stay within their streets)."""
    return viewer.is_admin and admin_street_ids(viewer) is None


def check_may_start(viewer: CurrentUser, kind: str, street_id: int | None = None) -> None:
    """EveryStreetJob unless the job ``viewer`` asks for stays within the streets they administer: a job of
    an every-street kind, or any job for no street (deployment-wide), is a city admin's."""
    if may_start_every_street_job(viewer):
        return
    if kind in EVERY_STREET_KINDS or (viewer.is_admin and street_id is None):
        raise EveryStreetJob(kind)


def retry(db: Session, job_id: int, actor: CurrentUser) -> Job:
    """Queue a failed job again (attempts start over), audited; NotRetryable unless it failed,
    AlreadyLive when its kind runs one at a time and another is live, EveryStreetJob when it covers every
    street and ``actor`` is not a city admin (a training a street admin started before that was refused)."""
    row = db.get(Job, job_id)
    if row is None:
        raise LookupError(job_id)
    if actor.is_admin:
        check_may_start(actor, row.kind, row.street_id)
    elif row.kind in EVERY_STREET_KINDS:
        raise EveryStreetJob(row.kind)
    before = {"status": row.status.value, "error": row.error, "attempts": row.attempts}
    again: dict[str, Any] = {"key": live_key(row.kind)} if row.kind in EXCLUSIVE_KINDS else {}
    try:
        with db.begin_nested():
            changed = _update(
                db,
                _c.id == job_id,
                _c.status == JobStatus.FAILED.value,
                status=JobStatus.QUEUED.value,
                error=None,
                attempts=0,
                claimed_by=None,
                stage="queued",
                done=0,
                total=0,
                finished_at=None,
                started_at=None,
                heartbeat_at=utcnow(),  # the reclaim scan measures a queued job's wait from here
                **again,
            )
    except IntegrityError:
        raise AlreadyLive(row.kind, live_job_id(db, row.kind)) from None
    if changed != 1:
        raise NotRetryable(job_id)
    db.expire(row)
    record(
        db,
        "job.retry",
        object_type="job",
        object_id=job_id,
        before=before,
        after={"status": JobStatus.QUEUED.value, "kind": row.kind},
        actor=actor,
    )
    return row


# --- retention --------------------------------------------------------------------------------

PRUNE_ACTION = "job.prune_run"
ENDED_STATUSES = (JobStatus.FINISHED.value, JobStatus.FAILED.value)


def _ended_before(cutoff: Any) -> tuple[Any, ...]:
    """Finished or failed before ``cutoff``: never a queued or running job (a retried one is queued again,
    its finished_at cleared, in the same UPDATE, so a row being retried is not deleted under it)."""
    return (_c.status.in_(ENDED_STATUSES), _c.finished_at.is_not(None), _c.finished_at < cutoff)


def prune_ended(
    factory: sessionmaker[Session],
    settings: Any,
    now: Any,
    days: int,
    *,
    batch_size: int = 500,
    progress: Callable[[str, int, int], None] | None = None,
) -> dict[str, int]:
    """Delete the jobs that ended more than ``days`` ago (their rows, an export's file, an import report
    with them), in batches each committed; then the exchange files past their own day (exports, uploads).
    ``days`` 0 keeps every job. The counts: {"jobs": n, "files": m}; every run writes one audit row with
    them (0 too: the log shows the prune ran). ``progress(stage, done, total)`` hears of each batch.

    Each batch reads the old rows from ``ix_job_status_finished_at`` (migration f2a3b4c5d6e7) in the
    index's order, not by id: sorting every old row by id for each batch of 500 cost more than the delete."""
    from marketplace.exchange.services import export_file, remove_old_files

    report = progress or (lambda _stage, _done, _total: None)
    counts = {"jobs": 0, "files": 0}
    if days > 0:
        cutoff = now - timedelta(days=days)
        with factory() as db:
            total = int(db.execute(sa.select(sa.func.count()).where(*_ended_before(cutoff))).scalar_one())
        report("old_jobs", 0, total)
        while True:
            with session_scope(factory) as db:
                rows = db.execute(
                    sa.select(_c.id, _c.kind, _c.result).where(*_ended_before(cutoff)).limit(batch_size)
                ).all()
                ids = [int(row.id) for row in rows]
                if ids:
                    counts["jobs"] += int(
                        db.execute(_table.delete().where(_c.id.in_(ids), *_ended_before(cutoff))).rowcount or 0  # type: ignore[attr-defined]
                    )
            for row in rows:
                if row.kind == "exchange.export" and isinstance(row.result, dict):
                    path = export_file(settings, int(row.id), str(row.result.get("format") or "csv"))
                    if path.is_file():
                        path.unlink(missing_ok=True)
                        counts["files"] += 1
            report("old_jobs", counts["jobs"], max(total, counts["jobs"]))
            if len(ids) < batch_size:
                break
    report("old_files", 0, 0)
    counts["files"] += remove_old_files(settings)
    with session_scope(factory) as db:
        record(
            db,
            PRUNE_ACTION,
            object_type="job",
            object_id=None,
            actor_role="system",
            after={"retention_days": days, **counts},
        )
    return counts


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobFilters:
    status: JobStatus | None = None
    kind: str | None = None
    street_id: int | None = None  # a city admin's street filter


def visible_to(viewer: CurrentUser | None) -> Any | None:
    """Which jobs ``viewer`` sees: None for every job (a city admin, or no viewer: the system), else the
    condition: a street admin's own street's jobs and the jobs they started; anyone else only their own."""
    if viewer is None:
        return None
    if viewer.is_admin:
        streets = admin_street_ids(viewer)
        if streets is None:
            return None
        return sa.or_(_c.street_id.in_(sorted(streets)), _c.started_by_id == viewer.id)
    return _c.started_by_id == viewer.id


def may_see(viewer: CurrentUser, row: Job) -> bool:
    """The same rule as ``visible_to`` for one loaded row."""
    if viewer.is_admin:
        streets = admin_street_ids(viewer)
        return streets is None or row.street_id in streets or row.started_by_id == viewer.id
    return row.started_by_id == viewer.id


MAX_ID = 2**31 - 1


def visible_job(reader: Session, job_id: int, viewer: CurrentUser) -> Job:
    """The one door to a job by its id, for every route that names one (pages, API, download, retry): the
    job when ``viewer`` may see it, else LookupError, whether it is missing or someone else's. Every route
    answers both with the same 404, so a job's id cannot be tried to learn that it exists."""
    row = reader.get(Job, job_id) if 1 <= job_id <= MAX_ID else None
    if row is None or not may_see(viewer, row):
        raise LookupError(job_id)
    return row


def _scoped(viewer: CurrentUser | None) -> list[Any]:
    condition = visible_to(viewer)
    return [] if condition is None else [condition]


def list_jobs(
    reader: Session,
    filters: JobFilters,
    *,
    page: int = 1,
    page_size: int = 50,
    viewer: CurrentUser | None = None,
) -> tuple[list[Job], int]:
    """Newest first, with the total matching the filters, among the jobs ``viewer`` sees."""
    conditions = _scoped(viewer)
    if filters.status is not None:
        conditions.append(Job.status == filters.status)
    if filters.kind:
        conditions.append(Job.kind == filters.kind)
    if filters.street_id is not None:
        conditions.append(_c.street_id == filters.street_id)
    total = reader.execute(sa.select(sa.func.count()).select_from(Job).where(*conditions)).scalar_one()
    query = (
        sa.select(Job)
        .where(*conditions)
        .order_by(Job.id.desc())  # type: ignore[union-attr]
        .offset((page - 1) * page_size)
        .limit(min(page_size, MAX_PAGE_SIZE))
    )
    return list(reader.execute(query).scalars()), int(total)


def last_scheduled_runs(reader: Session, kinds: list[str], viewer: CurrentUser) -> dict[str, Job]:
    """The latest scheduled run of each of ``kinds`` (keyed ``schedule:KIND:MINUTE``), in one query, among
    those that concern ``viewer``: the deployment-wide runs (each sweeps every street, theirs too) and, for
    a street admin, runs for their own streets only; a city admin every run."""
    if not kinds:
        return {}
    conditions = [_c.key.like(f"{SCHEDULED_KEY_PREFIX}%"), _c.kind.in_(sorted(set(kinds)))]
    streets = admin_street_ids(viewer) if viewer.is_admin else frozenset()
    if streets is not None:
        conditions.append(sa.or_(_c.street_id.is_(None), _c.street_id.in_(sorted(streets))))
    latest = sa.select(sa.func.max(_c.id)).where(*conditions).group_by(_c.kind)
    rows = reader.execute(sa.select(Job).where(_c.id.in_(latest))).scalars()
    return {row.kind: row for row in rows}


def queue_depth(db: Session, viewer: CurrentUser | None = None) -> dict[str, int]:
    """Jobs waiting or running, per status (one GROUP BY): {"queued": 3, "running": 1}."""
    live = [status.value for status in LIVE_STATUSES]
    query = sa.select(_c.status, sa.func.count()).where(_c.status.in_(live), *_scoped(viewer)).group_by(_c.status)
    rows = db.execute(query).all()
    counts = dict.fromkeys(live, 0)
    counts.update({str(status): int(count) for status, count in rows})
    return counts


def failed_count(db: Session, viewer: CurrentUser | None = None) -> int:
    query = sa.select(sa.func.count()).where(_c.status == JobStatus.FAILED.value, *_scoped(viewer))
    return int(db.execute(query).scalar_one())


def observe(kind: str, outcome: str, seconds: float) -> None:
    """The job's outcome to the metrics, when the metrics module is there (it is optional here)."""
    try:
        from marketplace.system.metrics import observe_job
    except ImportError:
        return
    try:
        observe_job(kind, outcome, seconds)
    except Exception:  # metrics never fail a job
        log.warning("could not record job metrics", exc_info=True)
