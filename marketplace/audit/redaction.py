"""The one place code rewrites audit rows, and only to forget people (PIPL): it clears, never edits.

The audit log is otherwise append-only (``tests/test_audit_log.py`` greps the code for anything else
that updates or deletes its rows). Erasure on request and the retention job call these.
"""

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.audit.models import AuditEvent


def clear_client_addresses_of_actor(db: Session, actor_id: int) -> int:
    """Forget from where a person acted (their erasure); returns the rows changed."""
    return _clear_addresses(db, AuditEvent.actor_id == actor_id)


def clear_client_addresses(db: Session, ids: list[int]) -> int:
    """Forget from where anyone acted, for these rows (retention picks those past the period)."""
    return _clear_addresses(db, AuditEvent.id.in_(ids))  # type: ignore[union-attr]


def _clear_addresses(db: Session, *conditions: sa.ColumnElement[bool]) -> int:
    result = db.execute(
        sa.update(AuditEvent)
        .where(*conditions, AuditEvent.client_address.is_not(None))  # type: ignore[union-attr]
        .values(client_address=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
