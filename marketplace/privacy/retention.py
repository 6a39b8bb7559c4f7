"""Retention: personal data no longer needed is anonymised once it is older than the retention period.

- A closed need (completed, verified, rejected, cancelled) last changed before the cutoff loses its
  beneficiary's name, phone and address (markers in their place, also in the need's audit rows).
- Audit rows older than the cutoff lose their client address (who did what stays, from where goes).
- Login sessions that ended before the cutoff (with their address and browser) and old failed-login rows go.

Work is done in batches, each committed, so a long first run can be stopped and started again; a second run
finds nothing. Each run that changes anything or not is recorded in the audit log with its counts.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.services import LoginFailure, UserSession
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import clear_client_addresses, record
from marketplace.db.engine import session_scope
from marketplace.needs.models import Need, NeedStatus
from marketplace.privacy.residents import anonymise_need_contacts, not_anonymised

CLOSED_STATUSES = (NeedStatus.COMPLETED, NeedStatus.VERIFIED, NeedStatus.REJECTED, NeedStatus.CANCELLED)
RUN_ACTION = "privacy.retention_run"


@dataclass
class RetentionReport:
    cutoff: datetime
    dry_run: bool
    counts: dict[str, int] = field(
        default_factory=lambda: {"needs": 0, "audit_addresses": 0, "sessions": 0, "login_failures": 0}
    )


def cutoff_for(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def _expired_needs(cutoff: datetime) -> sa.Select[tuple[int]]:
    return (
        sa.select(Need.id)
        .where(Need.status.in_(CLOSED_STATUSES), Need.updated_at < cutoff, not_anonymised())  # type: ignore[attr-defined]
        .order_by(Need.id)
    )


def _old_addresses(cutoff: datetime) -> sa.Select[tuple[int]]:
    return (
        sa.select(AuditEvent.id)
        .where(AuditEvent.created_at < cutoff, AuditEvent.client_address.is_not(None))  # type: ignore[union-attr]
        .order_by(AuditEvent.id)
    )


def _ended_sessions(cutoff: datetime) -> sa.Select[tuple[int]]:
    ended = sa.or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff)  # type: ignore[operator]
    return sa.select(UserSession.id).where(ended).order_by(UserSession.id)


def _old_failures(cutoff: datetime) -> sa.Select[tuple[int]]:
    return sa.select(LoginFailure.id).where(LoginFailure.failed_at < cutoff).order_by(LoginFailure.id)  # type: ignore[arg-type]


def _count(db: Session, query: sa.Select[tuple[int]]) -> int:
    return int(db.execute(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())).scalar_one())


def _delete_sessions(db: Session, ids: list[int]) -> int:
    return int(db.execute(sa.delete(UserSession).where(UserSession.id.in_(ids))).rowcount or 0)  # type: ignore[union-attr, attr-defined]


def _delete_failures(db: Session, ids: list[int]) -> int:
    return int(db.execute(sa.delete(LoginFailure).where(LoginFailure.id.in_(ids))).rowcount or 0)  # type: ignore[union-attr, attr-defined]


STEPS: dict[str, tuple[Callable[[datetime], sa.Select[tuple[int]]], Callable[[Session, list[int]], int]]] = {
    "needs": (_expired_needs, anonymise_need_contacts),
    "audit_addresses": (_old_addresses, clear_client_addresses),
    "sessions": (_ended_sessions, _delete_sessions),
    "login_failures": (_old_failures, _delete_failures),
}


def run_retention(
    factory: sessionmaker[Session],
    now: datetime,
    days: int,
    *,
    dry_run: bool = False,
    batch_size: int = 500,
    progress: Callable[[str, int], None] = lambda step, done: None,
) -> RetentionReport:
    """Anonymise what is past ``days``; ``dry_run`` only counts. ``progress(step, done)`` after each batch."""
    report = RetentionReport(cutoff=cutoff_for(now, days), dry_run=dry_run)
    if days <= 0:
        return report
    for step, (select, apply) in STEPS.items():
        if dry_run:
            with factory() as db:
                report.counts[step] = _count(db, select(report.cutoff))
            continue
        while True:
            with session_scope(factory) as db:
                ids = list(db.execute(select(report.cutoff).limit(batch_size)).scalars())
                if ids:
                    report.counts[step] += apply(db, ids)
            if not ids:
                break
            progress(step, report.counts[step])
            if len(ids) < batch_size:
                break
    if not dry_run:
        with session_scope(factory) as db:
            record(
                db,
                RUN_ACTION,
                object_type="retention",
                object_id=None,
                actor_role="system",
                after={"retention_days": days, "cutoff": report.cutoff.isoformat(), **report.counts},
            )
    return report
