"""Recording audit events: who did what to which object, when, before and after, from where.

The application only ever inserts audit rows; no code path updates or deletes them.
"""

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, SQLModel

from marketplace.audit.models import AuditEvent
from marketplace.audit.personal import mask_personal
from marketplace.domain_surface import surface_attribute
from marketplace.security.context import current_client_address, current_user
from marketplace.security.identity import CurrentUser

if TYPE_CHECKING:
    from marketplace.audit.field_labels import field_label as field_label
    from marketplace.audit.field_labels import value_label as value_label
    from marketplace.audit.labels import action_label as action_label
    from marketplace.audit.labels import object_label as object_label
    from marketplace.audit.labels import role_label as role_label
    from marketplace.audit.redaction import clear_client_addresses as clear_client_addresses
    from marketplace.audit.redaction import clear_client_addresses_of_actor as clear_client_addresses_of_actor

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "action_label": "labels",
    "clear_client_addresses": "redaction",
    "clear_client_addresses_of_actor": "redaction",
    "field_label": "field_labels",
    "object_label": "labels",
    "role_label": "labels",
    "value_label": "field_labels",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


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
