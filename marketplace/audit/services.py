"""Recording audit events: who did what to which object, when, before and after, from where.

The application only ever inserts audit rows; no code path updates or deletes them.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlmodel import Session, SQLModel

from marketplace.audit.models import AuditEvent
from marketplace.audit.personal import mask_personal
from marketplace.security.context import current_client_address, current_user
from marketplace.security.identity import CurrentUser

# Never copied into an audit row, whatever the object.
SECRET_FIELDS = frozenset({"password_hash", "token_hash"})


def plain(value: Any) -> Any:
    """A column value as JSON can hold it (enums by value, times ISO, decimals as text)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def snapshot(row: SQLModel | None, fields: list[str] | None = None) -> dict[str, Any] | None:
    """The row's columns (or just ``fields``) as JSON-ready values, secrets left out."""
    if row is None:
        return None
    data = row.model_dump()
    keys = fields if fields is not None else list(data)
    return {key: plain(data[key]) for key in keys if key in data and key not in SECRET_FIELDS}


def changed(before: dict[str, Any] | None, after: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, so an audit row says what changed and nothing else."""
    before, after = before or {}, after or {}
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


def record(
    db: Session,
    action: str,
    *,
    object_type: str,
    object_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor: CurrentUser | None = None,
    actor_id: int | None = None,
    actor_role: str | None = None,
    client_address: str | None = None,
) -> AuditEvent:
    """Add one audit row in the caller's transaction: it commits or rolls back with the change.

    Residents' contacts in ``before``/``after`` are masked here, the one door every audit row passes.
    """
    actor = actor or current_user.get()
    event = AuditEvent(
        actor_id=actor_id if actor_id is not None else (actor.id if actor else None),
        actor_role=actor_role or (actor.role.value if actor else None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=mask_personal(before),
        after=mask_personal(after),
        client_address=client_address or current_client_address.get(),
    )
    db.add(event)
    return event
