"""An organization's application: checked once (registration, resubmission, an admin's correction), resent
by its manager after a rejection, corrected by the street's admins before they decide.

Every write is a conditional UPDATE on the id, the status read and the application's values read: an admin's
decision (or another edit) landing at the same moment matches nothing and the later writer gets a conflict
naming the current status, never a silent overwrite.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from litestar.exceptions import NotFoundException, PermissionDeniedException
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import changed, plain, record
from marketplace.forms import validate
from marketplace.i18n import N_
from marketplace.i18n import gettext as _
from marketplace.notifications import services as notifications_services
from marketplace.notifications.services import admins_of_street
from marketplace.organizations import services
from marketplace.organizations.forms import credit_code_problem
from marketplace.organizations.models import Organization, OrganizationKind, OrganizationStatus
from marketplace.organizations.schemas import OrganizationCreate
from marketplace.places.models import Grid
from marketplace.places.services import grids_outside, streets_of_grids
from marketplace.security.identity import CurrentUser
from marketplace.web import list_separator, localized_name

# The fields an application has (grids served aside, kept in organization_grid), in the form's order.
APPLICATION_FIELDS = (
    "name",
    "name_en",
    "kind",
    "credit_code",
    "contact_name",
    "contact_phone",
    "address",
    "description",
)
FIELD_LABELS = {
    "name": N_("Organization name"),
    "name_en": N_("English name"),
    "kind": N_("Kind"),
    "credit_code": N_("Unified social credit code"),
    "contact_name": N_("Contact person"),
    "contact_phone": N_("Contact phone"),
    "address": N_("Address"),
    "description": N_("What your organization can offer"),
    "grid_ids": N_("Grids served"),
}
# Statuses an admin may still correct; the manager resends only a rejected application.
ADMIN_EDITABLE = frozenset({OrganizationStatus.PENDING, OrganizationStatus.REJECTED})
RESUBMITTABLE = frozenset({OrganizationStatus.REJECTED})


class StatusConflict(Exception):
    """The application is not (or no longer) in a status that allows this; ``status`` is the current one."""

    def __init__(self, status: OrganizationStatus, changed_since: bool = False) -> None:
        super().__init__(status.value)
        self.status = status
        self.changed_since = changed_since

    def message(self) -> str:
        if self.changed_since:
            return _("The application was changed or decided since you opened it (now “%(status)s”). Reload it.") % {
                "status": self.status.label
            }
        return _("The application is “%(status)s”; it cannot be changed or sent from there.") % {
            "status": self.status.label
        }


def require_status(row: Organization, allowed: frozenset[OrganizationStatus]) -> None:
    """A status that does not allow the change is said first (409 naming ``status``), before any field."""
    if row.status not in allowed:
        raise StatusConflict(row.status)


def validate_application(
    db: Session,
    values: dict[str, Any],
    street_id: int,
    *,
    grid_streets: frozenset[int] | None,
    outside_message: str,
) -> tuple[OrganizationCreate | None, dict[str, str]]:
    """The application's one check (registration, resubmission, an admin's correction): the registration
    schema, the credit code's checksum said in words, at least one grid, grids of ``grid_streets`` (the
    street chosen at registration; the streets it serves afterwards)."""
    organization, errors = validate(OrganizationCreate, values | {"street_id": street_id})
    code = str(values.get("credit_code") or "")
    if "credit_code" in errors and code.strip():
        errors["credit_code"] = credit_code_problem(code) or errors["credit_code"]
    if "grid_ids" in errors:
        errors["grid_ids"] = _("Choose at least one grid your organization serves.")
    elif grid_streets is not None and _outside(db, values.get("grid_ids") or [], grid_streets):
        errors["grid_ids"] = outside_message
    return (None if errors else organization), errors


def _outside(db: Session, grid_ids: list[Any], streets: frozenset[int]) -> bool:
    if len(streets) == 1:
        return bool(grids_outside(db, grid_ids, next(iter(streets))))
    return bool(streets_of_grids(db, grid_ids) - streets)


def current_values(db: Session, row: Organization) -> dict[str, Any]:
    """The application as a form shows it (grids as ids)."""
    assert row.id is not None
    values: dict[str, Any] = {name: getattr(row, name) for name in APPLICATION_FIELDS}
    values["kind"] = row.kind.value
    values["name_en"] = row.name_en or ""
    values["grid_ids"] = [grid.id for grid in services.grids_of(db, [row.id])[row.id]]
    return values


def _plain_values(db: Session, row: Organization) -> dict[str, Any]:
    values = {name: plain(getattr(row, name)) for name in APPLICATION_FIELDS}
    values["grid_ids"] = sorted(current_values(db, row)["grid_ids"])
    return values


def revision(db: Session, row: Organization) -> str:
    """A short fingerprint of the application and its status: a form sends back the one it was opened on,
    so a change made since (an admin's correction, a decision) is refused instead of overwritten."""
    data = _plain_values(db, row) | {"status": row.status.value}
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: Any
    after: Any


def _write(
    db: Session,
    row: Organization,
    data: OrganizationCreate,
    *,
    allowed: frozenset[OrganizationStatus],
    new_values: dict[str, Any],
    based_on: str | None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The conditional UPDATE shared by both writers; returns the changed fields (before, after)."""
    assert row.id is not None
    if row.status not in allowed:
        raise StatusConflict(row.status)
    if based_on and based_on != revision(db, row):
        raise StatusConflict(row.status, changed_since=True)
    services._check_grids(db, data.grid_ids)
    before = _plain_values(db, row) | {"status": row.status.value}
    fields = data.model_dump(include=set(APPLICATION_FIELDS))
    # Conditional on what was read: the id, the status and every value (two writers cannot both match).
    conditions = [Organization.id == row.id, Organization.status == row.status]
    for name in APPLICATION_FIELDS:
        column = getattr(Organization, name)
        value = getattr(row, name)
        conditions.append(column.is_(None) if value is None else column == value)
    try:
        result = db.execute(
            sa.update(Organization)
            .where(*conditions)
            .values(**fields, **new_values)
            .execution_options(synchronize_session=False)
        )
    except IntegrityError:
        db.rollback()
        raise services.FormProblem(
            "credit_code", _("An organization with this credit code is already registered.")
        ) from None
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        current = db.execute(sa.select(Organization.status).where(Organization.id == row.id)).scalar_one()
        raise StatusConflict(OrganizationStatus(current), changed_since=True)
    services._set_grids(db, row.id, data.grid_ids)
    db.flush()
    db.expire(row)
    db.refresh(row)
    after = _plain_values(db, row) | {"status": row.status.value}
    after["grid_ids"] = sorted(set(data.grid_ids))
    return changed(before, after)


def resubmit(
    db: Session, actor: CurrentUser, organization_id: int, data: OrganizationCreate, based_on: str | None = None
) -> Organization:
    """The manager corrects a rejected application and sends it again: rejected → pending, audited
    (``organization.resubmit``, before/after of what changed), and the street's admins are told."""
    row = _managed_organization(db, actor, organization_id)
    old, new = _write(
        db,
        row,
        data,
        allowed=RESUBMITTABLE,
        new_values={"status": OrganizationStatus.PENDING, "status_reason": None},
        based_on=based_on,
    )
    old.setdefault("status", OrganizationStatus.REJECTED.value)
    new.setdefault("status", OrganizationStatus.PENDING.value)
    record(db, "organization.resubmit", object_type="organization", object_id=row.id, before=old, after=new)
    changed_fields = [name for name in new if name not in ("status", "status_reason")]
    for user_id in admins_of_street(db, row.street_id):
        notifications_services.send(
            db,
            user_id,
            "organization.resubmit",
            {"organization": row.name, "organization_id": row.id, "changed": changed_fields},
            echo=False,
        )
    db.flush()
    return row


def admin_edit(
    db: Session, actor: CurrentUser, organization_id: int, data: OrganizationCreate, based_on: str | None = None
) -> Organization:
    """An admin of a street it serves (or the city admin) corrects a pending or rejected application; the
    status stays as it is. Audited as ``organization.edit`` when something changed."""
    if actor.role != Role.ADMIN:
        raise PermissionDeniedException(_("Only the street's admins vet organizations."))
    row = services.get_visible_organization(db, actor, organization_id)
    old, new = _write(db, row, data, allowed=ADMIN_EDITABLE, new_values={}, based_on=based_on)
    if new:
        record(db, "organization.edit", object_type="organization", object_id=row.id, before=old, after=new)
        db.flush()
    return row


def _managed_organization(db: Session, actor: CurrentUser, organization_id: int) -> Organization:
    """The actor's own organization, for its manager; another organization is simply not found."""
    if actor.role != Role.PARTNER or actor.organization_id != organization_id:
        raise NotFoundException(_("No such organization."))
    services.require_manager(actor)
    return services.own_organization(db, actor)


def _shown(name: str, value: Any, grid_names: dict[int, str]) -> str:
    """A changed value as a reader sees it: the kind's label, grid names, "—" for nothing."""
    if name == "kind" and value in OrganizationKind._value2member_map_:
        return OrganizationKind(value).label
    if name == "grid_ids":
        return list_separator().join(grid_names.get(grid_id, f"#{grid_id}") for grid_id in value or []) or "—"
    return str(value) if value not in (None, "") else "—"


def changes_of(event: AuditEvent | None, grid_names: dict[int, str] | None = None) -> list[Change]:
    """An audit event's changed application fields, in the form's order, labelled in the reader's language."""
    if event is None:
        return []
    before, after = event.before or {}, event.after or {}
    names = grid_names or {}
    order = [*APPLICATION_FIELDS, "grid_ids"]
    return [
        Change(name, _(FIELD_LABELS[name]), _shown(name, before.get(name), names), _shown(name, after.get(name), names))
        for name in order
        if name in after and before.get(name) != after.get(name)
    ]


def last_resubmissions(db: Session, organizations: list[Organization]) -> dict[int, list[Change]]:
    """For the pending ones among ``organizations``: the changes of their latest resubmission (one query, and
    one for grid names when grids changed). An organization pending since its registration is absent."""
    pending = [row.id for row in organizations if row.status == OrganizationStatus.PENDING and row.id is not None]
    if not pending:
        return {}
    latest = (
        sa.select(sa.func.max(AuditEvent.id))
        .where(
            AuditEvent.object_type == "organization",
            AuditEvent.object_id.in_(pending),  # type: ignore[union-attr]
            AuditEvent.action.in_(("organization.register", "organization.resubmit")),  # type: ignore[attr-defined]
        )
        .group_by(AuditEvent.object_id)
    )
    events = [
        event
        for event in db.execute(sa.select(AuditEvent).where(AuditEvent.id.in_(latest))).scalars()  # type: ignore[union-attr]
        if event.action == "organization.resubmit" and event.object_id is not None
    ]
    grid_ids = {
        int(grid_id)
        for event in events
        for side in (event.before or {}, event.after or {})
        for grid_id in side.get("grid_ids") or []
    }
    grid_names: dict[int, str] = {}
    if grid_ids:
        for grid in db.execute(sa.select(Grid).where(Grid.id.in_(sorted(grid_ids)))).scalars():  # type: ignore[union-attr]
            grid_names[grid.id] = localized_name(grid)  # type: ignore[index]
    return {int(event.object_id): changes_of(event, grid_names) for event in events}  # type: ignore[arg-type]
