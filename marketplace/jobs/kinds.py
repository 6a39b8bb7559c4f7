"""What a job can be: each kind names the function that does it, with a label admins read.

Functions import their domain when they run (a worker that never trains never loads scikit-learn) and
return a small JSON-able summary stored on the job's row. A function whose effects must land once
writes them in one transaction that calls ``ctx.fence(db)`` first; the others are idempotent sweeps.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.i18n import N_
from marketplace.settings import Settings


class Context(Protocol):
    job_id: int
    arguments: dict[str, Any]
    attempt: int
    started_by_id: int | None
    writer: sessionmaker[Session]
    reader: sessionmaker[Session]
    settings: Settings

    def progress(self, stage: str, done: int, total: int) -> None: ...

    def fence(self, db: Session) -> None: ...


@dataclass(frozen=True)
class Kind:
    name: str
    label: str  # translated when shown
    run: Callable[[Any], dict[str, Any] | None]


def match_round(ctx: Context) -> dict[str, Any]:
    """A matching round (its row made by rounds.service.start); the round's own figures are the summary."""
    from marketplace.rounds import services as rounds_services

    return rounds_services.run_round_job(ctx)


def rounds_schedule(ctx: Context) -> dict[str, Any]:
    """The streets' scheduled rounds that fell due: each started as its own round and job."""
    from marketplace.rounds import services as rounds_services

    return rounds_services.run_schedules(ctx)


def match_train(ctx: Context) -> dict[str, Any]:
    """Fit the learned rankers (``marketplace match train``); the model files go to the shared var dir."""
    import dataclasses

    from marketplace.recommend import services
    from marketplace.recommend import services as recommend_services

    kind = str(ctx.arguments.get("kind") or "all")
    names = ("volunteers", "offers") if kind == "all" else (kind,)
    results = []
    for done, name in enumerate(names):
        ctx.progress(name, done, len(names))
        # Training only reads (the model goes to a file): a writer's session would hold SQLite's write
        # lock through the whole fit and every other write of the street would wait, then fail.
        with session_scope(ctx.reader) as db:
            result = recommend_services.train(db, ctx.settings.var_dir, name)
        results.append({key: str(value) for key, value in dataclasses.asdict(result).items()})
    services.forget()
    return {"results": results}


def offers_expire(ctx: Context) -> dict[str, Any]:
    from marketplace.offers.services import expire_offers

    with session_scope(ctx.writer) as db:
        return {"expired": expire_offers(db, utcnow())}


def needs_escalate(ctx: Context) -> dict[str, Any]:
    from marketplace.needs.services import escalate_overdue

    with session_scope(ctx.writer) as db:
        return {"escalated": escalate_overdue(db, utcnow())}


def privacy_retention(ctx: Context) -> dict[str, Any]:
    from marketplace.privacy.services import run_retention

    days = ctx.settings.personal_data_retention_days
    if days == 0:
        return {"skipped": "retention is 0 (keep personal data)"}
    report = run_retention(ctx.writer, utcnow(), days, progress=lambda step, done: ctx.progress(step[:32], done, 0))
    return {"cutoff": report.cutoff.isoformat(), **report.counts}


def exchange_import(ctx: Context) -> dict[str, Any]:
    """A large need list file, imported as its uploader in one fenced transaction (marketplace/exchange/jobs.py)."""
    from marketplace.exchange.services import run_import

    return run_import(ctx)


def exchange_export(ctx: Context) -> dict[str, Any]:
    """A list (needs; a long volunteer or organization directory) written to a file under the var dir, downloaded
    by whoever asked from the job's page."""
    from marketplace.exchange.services import run_export

    return run_export(ctx)


def exchange_import_report(ctx: Context) -> dict[str, Any]:
    """Never queued: an import done in the request keeps its report on a finished row of this kind
    (marketplace/exchange/import_reports.py), so the import's form can redirect to it."""
    raise RuntimeError("an import report is written finished by the import page; it is never run")


def shifts_remind(ctx: Context) -> dict[str, Any]:
    """Confirmed volunteers hear of their shift once, within MARKETPLACE_SHIFT_REMINDER_HOURS of its start."""
    from marketplace.volunteers.services import send_reminders

    with session_scope(ctx.writer) as db:
        return send_reminders(db, utcnow(), ctx.settings.shift_reminder_hours)


def notifications_digest(ctx: Context) -> dict[str, Any]:
    """Each user with unread news gets one digest of it a day, in their notification centre."""
    from marketplace.notifications.services import send_digests

    with session_scope(ctx.writer) as db:
        return send_digests(db, utcnow())


def jobs_prune(ctx: Context) -> dict[str, Any]:
    """Jobs that ended more than MARKETPLACE_JOB_RETENTION_DAYS ago go, with their files (jobs.services.prune_ended)."""
    from marketplace.jobs.services import prune_ended

    days = ctx.settings.job_retention_days
    return prune_ended(ctx.writer, ctx.settings, utcnow(), days, progress=ctx.progress)


MAX_CHECK_SECONDS = 600


def system_check(ctx: Context) -> dict[str, Any]:
    """The queue's own check: wait ``seconds`` reporting progress, then write one audit row, fenced.
    ``marketplace worker --check`` and the restart test use it: it shows the worker takes jobs, reports
    progress, and writes a job's effects once however often the job is claimed."""
    from marketplace.audit.services import record

    seconds = min(max(float(ctx.arguments.get("seconds", 1)), 0.0), MAX_CHECK_SECONDS)
    steps = max(int(seconds * 4), 1)
    for step in range(steps):
        ctx.progress("waiting", step, steps)
        time.sleep(seconds / steps)
    ctx.progress("writing", steps, steps)
    with session_scope(ctx.writer) as db:
        ctx.fence(db)
        record(
            db,
            "job.check",
            object_type="job",
            object_id=ctx.job_id,
            after={"seconds": seconds, "attempt": ctx.attempt},
            actor_id=ctx.started_by_id,
            actor_role="system",
        )
    return {"seconds": seconds, "attempt": ctx.attempt}


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("match.round", N_("Matching round"), match_round),
        Kind("match.train", N_("Training the ranker"), match_train),
        Kind("rounds.schedule", N_("Scheduled matching rounds"), rounds_schedule),
        Kind("offers.expire", N_("Offer expiry"), offers_expire),
        Kind("needs.escalate", N_("Escalation sweep"), needs_escalate),
        Kind("privacy.retention", N_("Personal data retention"), privacy_retention),
        Kind("system.check", N_("Queue check"), system_check),
        Kind("exchange.import", N_("Need list import"), exchange_import),
        Kind("exchange.export", N_("List export"), exchange_export),
        Kind("exchange.import_report", N_("List import"), exchange_import_report),
        Kind("shifts.remind", N_("Shift reminders"), shifts_remind),
        Kind("notifications.digest", N_("Daily notification digest"), notifications_digest),
        Kind("jobs.prune", N_("Old jobs removed"), jobs_prune),
    )
}
