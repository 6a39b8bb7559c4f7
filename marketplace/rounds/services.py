"""Starting a round (one at a time per street, enforced by the database) and running it: load, plan, propose.

``start`` inserts the round's row for one street (scope ``street:<id>``); the partial unique index
``match_round_one_live`` refuses a second live round of the same street, on SQLite and PostgreSQL alike,
however the requests race. Rounds of different streets run side by side: each plans only its own street's
needs with the volunteers and organizations serving that street. ``start_streets`` starts one per street
(the city admin's "every street"). A round without a street (scope ``all``) plans the whole deployment: it
is what a deployment without streets runs, and what rounds were before there were several streets.

``run`` does the work with short transactions of its own (a read to load, one write for the proposals),
so it can run on any thread; the caller reports progress through a ``Tracker``.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.audit.services import record, snapshot
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.domain_surface import surface_attribute
from marketplace.jobs.services import LostClaim
from marketplace.recommend.services import index_for
from marketplace.rounds import inputs, proposals
from marketplace.rounds.models import (
    LIVE_STATUSES,
    WHOLE_DEPLOYMENT,
    MatchRound,
    RoundMethod,
    RoundStatus,
    street_scope,
)
from matching.round import plan_round

if TYPE_CHECKING:
    from marketplace.rounds.jobs import run_round_job as run_round_job
    from marketplace.rounds.jobs import run_schedules as run_schedules

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "run_round_job": "jobs",
    "run_schedules": "jobs",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


log = logging.getLogger(__name__)

MAX_K = 50
# A live round whose heartbeat is older than this was interrupted (its process stopped).
STALE_AFTER = timedelta(minutes=5)
# A queued round has no process beating for it yet: with one round per street, a round may wait its turn
# behind many others on the job worker. Its job, when it runs, queues a failed round again (rounds/jobs.py).
QUEUED_STALE_AFTER = timedelta(hours=1)
AUDIT_FIELDS = ["id", "status", "method", "k", "line_proposals", "shift_proposals", "skipped", "error"]
_table = MatchRound.__table__  # type: ignore[attr-defined]


class RoundBusy(Exception):
    """Another round is queued or running."""

    def __init__(self, live: MatchRound | None) -> None:
        super().__init__("a matching round is already running")
        # Plain values: the session that found the row is rolled back before anyone reads them.
        self.round_id = live.id if live else None
        self.stage = live.stage if live else "queued"
        self.street_id = live.street_id if live else None


@dataclass
class Tracker:
    """The round's current stage and progress, written by the round and read by the heartbeat."""

    stage: str = "queued"
    done: int = 0
    total: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, stage: str, done: int, total: int) -> None:
        with self.lock:
            self.stage, self.done, self.total = stage, done, total

    def read(self) -> tuple[str, int, int]:
        with self.lock:
            return self.stage, self.done, self.total


def live_round(db: Session, scope: str | None = None) -> MatchRound | None:
    """The oldest live round (of ``scope`` when given)."""
    query = sa.select(MatchRound).where(MatchRound.status.in_(LIVE_STATUSES))  # type: ignore[attr-defined]
    if scope is not None:
        query = query.where(MatchRound.scope == scope)
    return db.execute(query.order_by(MatchRound.id)).scalars().first()


def is_stale(row: MatchRound, now: Any = None) -> bool:
    """Live on paper, but nothing has beaten for it for too long: the process running it is gone."""
    now = now or utcnow()
    limit = QUEUED_STALE_AFTER if row.status is RoundStatus.QUEUED else STALE_AFTER
    return row.is_live and row.heartbeat_at < now - limit


def expire_interrupted(db: Session) -> int:
    """Mark failed the live rounds whose heartbeat stopped (the process running them is gone)."""
    now = utcnow()
    stale = sa.or_(
        sa.and_(_table.c.status == RoundStatus.RUNNING.value, _table.c.heartbeat_at < now - STALE_AFTER),
        sa.and_(_table.c.status == RoundStatus.QUEUED.value, _table.c.heartbeat_at < now - QUEUED_STALE_AFTER),
    )
    result = db.execute(
        _table.update()
        .where(stale)
        .values(status=RoundStatus.FAILED.value, error="interrupted: the process running it stopped", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def start(
    db: Session,
    *,
    method: RoundMethod,
    k: int,
    started_by_id: int | None,
    actor_role: str | None = None,
    street_id: int | None = None,
    scheduled: bool = False,
) -> MatchRound:
    """Queue a round for ``street_id`` (None: the whole deployment); RoundBusy if one is live there.
    Commit before handing the row to a worker."""
    expire_interrupted(db)
    # A whole-deployment round plans every street: it and a street's round would plan the same needs. This
    # check is not fenced like the unique index, but whole-deployment rounds are only those of a deployment
    # without streets and those left from before there were several.
    blocking = live_round(db) if street_id is None else live_round(db, WHOLE_DEPLOYMENT)
    if blocking is not None:
        raise RoundBusy(blocking)
    scope = street_scope(street_id)
    row = MatchRound(
        scope=scope, street_id=street_id, method=method, k=k, started_by_id=started_by_id, scheduled=scheduled
    )
    try:
        with db.begin_nested():
            db.add(row)
            db.flush()
    except IntegrityError:
        raise RoundBusy(live_round(db, scope)) from None
    record(
        db,
        "round.start",
        object_type="match_round",
        object_id=row.id,
        after=snapshot(row, ["id", "status", "method", "k", "street_id", "scheduled"]),
        actor_id=started_by_id,
        actor_role=actor_role,
    )
    return row


def start_streets(
    db: Session,
    street_ids: list[int],
    *,
    method: RoundMethod,
    k: int,
    started_by_id: int | None,
    actor_role: str | None = None,
) -> tuple[list[MatchRound], list[RoundBusy]]:
    """One round per street (each its own row and scope, so they run side by side); a street whose round
    is still live is left out and reported busy."""
    started: list[MatchRound] = []
    busy: list[RoundBusy] = []
    for street_id in street_ids:
        try:
            started.append(
                start(db, method=method, k=k, started_by_id=started_by_id, actor_role=actor_role, street_id=street_id)
            )
        except RoundBusy as refused:
            busy.append(refused)
    return started, busy


def _set(factory: sessionmaker[Session], round_id: int, **values: Any) -> bool:
    with session_scope(factory) as db:
        result = db.execute(
            _table.update()
            .where(_table.c.id == round_id, _table.c.status.in_([s.value for s in LIVE_STATUSES]))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def beat(factory: sessionmaker[Session], round_id: int, tracker: Tracker) -> bool:
    """Write the tracker's progress and the heartbeat; False once the round is no longer live."""
    stage, done, total = tracker.read()
    return _set(factory, round_id, stage=stage, done=done, total=total, heartbeat_at=utcnow())


def run(
    round_id: int,
    writer: sessionmaker[Session],
    reader: sessionmaker[Session],
    tracker: Tracker,
    client_address: str | None = None,
    fence: Callable[[Session], None] | None = None,
) -> MatchRound:
    """Do the round: load what is open, plan it, write the proposals, record the figures.

    ``fence(db)`` runs first in the transaction that writes the proposals (a job's claim, checked and
    held until the commit): if it raises, nothing is written, and the round is left to whoever holds it.
    """
    if not _set(writer, round_id, status=RoundStatus.RUNNING.value, started_at=utcnow(), heartbeat_at=utcnow()):
        raise RuntimeError(f"round {round_id} is not queued")
    seconds: dict[str, float] = {}
    try:
        with reader() as db:
            row = db.get(MatchRound, round_id)
            assert row is not None
            method, k, started_by_id, street_id = row.method, row.k, row.started_by_id, row.street_id
            tracker("loading", 0, 1)
            started = time.perf_counter()
            now = utcnow()
            found = inputs.load(db, now, street_id)
            seconds["loading"] = time.perf_counter() - started
            started = time.perf_counter()
            # A street's round scores among that street's candidates only (the index of the street).
            offer_index = index_for(db, "offers", street_id) if found.lines else None
            volunteer_index = index_for(db, "volunteers", street_id) if found.shifts else None
            seconds["indexes"] = time.perf_counter() - started
            db.rollback()  # end the read before the long computation (SQLite keeps no snapshot open)
        _set(writer, round_id, lines=len(found.lines), shifts=len(found.shifts))
        plan = plan_round(
            found.lines,
            found.shifts,
            offer_index=offer_index,
            volunteer_index=volunteer_index,
            now=now,
            k=k,
            method="greedy" if method is RoundMethod.GREEDY else "optimal",
            offers=found.offers,
            volunteers=found.volunteers,
            taken_lines=found.taken_lines,
            taken_shifts=found.taken_shifts,
            busy=found.busy,
            progress=tracker,
        )
        seconds.update(plan.stats.seconds)
        tracker("writing", 0, len(plan.lines) + len(plan.shifts))
        started = time.perf_counter()
        author = proposals.Author(started_by_id, "admin" if started_by_id else "cli", client_address)
        with session_scope(writer) as db:
            if fence is not None:
                fence(db)
            written = proposals.write(db, plan, author, round_id, street_id)
            finished = _finish(db, round_id, plan.stats, written, seconds, started, author)
        tracker("done", 1, 1)
        return finished
    except LostClaim:
        raise  # another worker took the job over and runs the round: its row is not ours to fail
    except Exception as error:
        log.exception("matching round %s failed", round_id)
        _fail(writer, round_id, error, client_address)
        raise


def _finish(
    db: Session,
    round_id: int,
    stats: Any,
    written: proposals.Written,
    seconds: dict[str, float],
    started: float,
    author: proposals.Author,
) -> MatchRound:
    row = db.get(MatchRound, round_id, with_for_update=True)
    assert row is not None
    seconds["writing"] = time.perf_counter() - started
    row.status = RoundStatus.FINISHED
    row.stage, row.done, row.total = "done", 1, 1
    row.line_candidates, row.shift_candidates = stats.line_candidates, stats.shift_candidates
    row.line_proposals, row.shift_proposals, row.skipped = written.lines, written.shifts, written.skipped
    row.objective = round(stats.objective, 6)
    row.seconds = {name: round(value, 3) for name, value in seconds.items()} | {
        "components": stats.components,
        "largest_component": stats.largest_component,
    }
    row.finished_at = row.heartbeat_at = utcnow()
    from marketplace.system.metrics import observe_round  # imported late: rounds do not need the web layer

    observe_round(sum(seconds.values()), RoundMethod(row.method).value)
    db.add(row)
    db.flush()
    record(
        db,
        "round.finish",
        object_type="match_round",
        object_id=round_id,
        after=snapshot(row, AUDIT_FIELDS),
        actor_id=author.user_id,
        actor_role=author.role,
        client_address=author.client_address,
    )
    return row


def _fail(writer: sessionmaker[Session], round_id: int, error: Exception, client_address: str | None) -> None:
    message = f"{type(error).__name__}: {error}"[:500]
    try:
        with session_scope(writer) as db:
            db.execute(
                _table.update()
                .where(_table.c.id == round_id)
                .values(status=RoundStatus.FAILED.value, error=message, finished_at=utcnow())
                .execution_options(synchronize_session=False)
            )
            record(
                db,
                "round.fail",
                object_type="match_round",
                object_id=round_id,
                after={"status": RoundStatus.FAILED.value, "error": message},
                actor_role="system",
                client_address=client_address,
            )
    except Exception:  # the database itself may be what failed; the heartbeat will age out
        log.exception("could not record the failure of round %s", round_id)


def in_streets(street_ids: frozenset[int] | None) -> sa.ColumnElement[bool]:
    """The rounds an admin of ``street_ids`` sees (None: every round): their streets' rounds, and the
    whole-deployment rounds, which planned their street too."""
    if street_ids is None:
        return sa.true()
    return sa.or_(
        MatchRound.street_id.in_(sorted(street_ids)),  # type: ignore[union-attr]
        MatchRound.street_id.is_(None),  # type: ignore[union-attr]
    )


def recent(db: Session, limit: int = 20, street_ids: frozenset[int] | None = None) -> list[MatchRound]:
    """The newest rounds in ``street_ids`` (None: every street)."""
    query = sa.select(MatchRound).where(in_streets(street_ids))
    return list(db.execute(query.order_by(MatchRound.id.desc()).limit(limit)).scalars())  # type: ignore[union-attr]


def live_rounds(db: Session, street_ids: frozenset[int] | None = None) -> list[MatchRound]:
    """Every live round in ``street_ids`` (None: every street), oldest first."""
    query = sa.select(MatchRound).where(MatchRound.status.in_(LIVE_STATUSES), in_streets(street_ids))  # type: ignore[attr-defined]
    return list(db.execute(query.order_by(MatchRound.id)).scalars())
