"""Residents (a need's beneficiary) have no account: staff export or anonymise their data on request.

A resident is found by the phone they gave or by a need's reference number, only among the needs of the grids
the staff member works in (an admin: all). Anonymising replaces the name and address with a marker and clears
the phone; the need, its history and its figures stay. The retention job uses the same anonymisation.
"""

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.audit.models import AuditEvent
from marketplace.audit.services import record
from marketplace.i18n import N_
from marketplace.needs.models import Need
from marketplace.needs.services import needs_visible_to, phone_digits
from marketplace.privacy.markers import ANONYMISED
from marketplace.security.identity import CurrentUser
from marketplace.whole_numbers import whole_number

CONTACT_KEYS = ("beneficiary_name", "beneficiary_phone", "beneficiary_address")
MAX_NEEDS = 500  # one person's needs; more means the lookup was too broad
_REFERENCE = re.compile(r"^\s*(?:XQ)?-?0*([0-9]{1,9})\s*$", re.IGNORECASE)


@dataclass
class LookupProblem(Exception):
    field: str
    message: str
    status_code: int = 400


def not_anonymised() -> sa.ColumnElement[bool]:
    """A need that still holds some contact of its beneficiary."""
    return sa.or_(
        Need.beneficiary_phone.is_not(None),  # type: ignore[union-attr]
        sa.and_(Need.beneficiary_name.is_not(None), Need.beneficiary_name != ANONYMISED),  # type: ignore[union-attr]
        sa.and_(Need.beneficiary_address.is_not(None), Need.beneficiary_address != ANONYMISED),  # type: ignore[union-attr]
    )


def parse_lookup(phone: str, reference: str) -> tuple[str | None, int | None]:
    """Exactly one of a phone (its digits) and a need reference (XQ-000202, 202)."""
    phone, reference = phone.strip(), reference.strip()
    if bool(phone) == bool(reference):
        raise LookupProblem("phone", N_("Enter either the resident's phone number or a need's reference number."))
    if phone:
        digits = phone_digits(phone)
        if not digits.isdigit() or not 5 <= len(digits) <= 20:
            raise LookupProblem("phone", N_("Enter a phone number: 5 to 20 digits."))
        return digits, None
    found = _REFERENCE.match(reference)
    number = whole_number(found.group(1)) if found else None
    if number is None:
        raise LookupProblem("reference", N_("Enter a reference number like XQ-000202."))
    return None, number


def find_needs(db: Session, viewer: CurrentUser, phone: str | None, need_id: int | None) -> list[Need]:
    """The viewer's needs of one resident: by phone (every need with that number) or by one need's id."""
    query = needs_visible_to(viewer).order_by(Need.id)
    if need_id is not None:
        return list(db.execute(query.where(Need.id == need_id)).scalars())
    assert phone is not None
    # The stored phone was normalised on the way in; compare digits to forgive spaces, dashes and +86.
    candidates = db.execute(query.where(Need.beneficiary_phone.contains(phone[-4:]))).scalars()  # type: ignore[union-attr]
    return [need for need in candidates if phone_digits(need.beneficiary_phone) == phone][:MAX_NEEDS]


def need_export(need: Need) -> dict[str, Any]:
    return {
        "id": need.id,
        "reference": f"XQ-{need.id:06d}",
        "title": need.title,
        "description": need.description,
        "status": need.status.value,
        "grid_id": need.grid_id,
        "channel": need.channel.value,
        "beneficiary_name": need.beneficiary_name,
        "beneficiary_phone": need.beneficiary_phone,
        "beneficiary_address": need.beneficiary_address,
        "satisfaction": need.satisfaction,
        "satisfaction_comment": need.satisfaction_comment,
        "created_at": need.created_at.isoformat(),
        "updated_at": need.updated_at.isoformat(),
        "completed_at": need.completed_at.isoformat() if need.completed_at else None,
        "verified_at": need.verified_at.isoformat() if need.verified_at else None,
    }


def export_resident(db: Session, viewer: CurrentUser, needs: list[Need], lookup: str) -> dict[str, Any]:
    """The resident's needs as one JSON document; the export itself is audited (which needs, not the data)."""
    ids = [need.id for need in needs]
    record(
        db,
        "privacy.exported",
        object_type="resident",
        object_id=None,
        actor=viewer,
        after={"need_ids": ids, "by": lookup},
    )
    return {"kind": "resident", "needs": [need_export(need) for need in needs]}


def anonymise_need_contacts(db: Session, need_ids: list[int]) -> int:
    """Markers for name and address, no phone, on these needs and in their audit rows; returns needs changed."""
    if not need_ids:
        return 0
    changed = db.execute(
        sa.update(Need)
        .where(Need.id.in_(need_ids), not_anonymised())  # type: ignore[union-attr]
        .values(
            beneficiary_name=sa.case((Need.beneficiary_name.is_(None), None), else_=ANONYMISED),  # type: ignore[union-attr]
            beneficiary_phone=None,
            beneficiary_address=sa.case((Need.beneficiary_address.is_(None), None), else_=ANONYMISED),  # type: ignore[union-attr]
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    events = db.execute(
        sa.select(AuditEvent).where(AuditEvent.object_type == "need", AuditEvent.object_id.in_(need_ids))  # type: ignore[union-attr]
    ).scalars()
    for event in events:
        before, after = _without_contacts(event.before), _without_contacts(event.after)
        if before != event.before or after != event.after:
            event.before, event.after = before, after
    db.flush()
    return int(changed or 0)


def _without_contacts(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: (ANONYMISED if key in CONTACT_KEYS and item else _without_contacts(item))
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_contacts(item) for item in value]
    return value


def anonymise_resident(db: Session, viewer: CurrentUser, needs: list[Need], lookup: str) -> int:
    """On the resident's request: every need found, audited with the ids and how they were found."""
    ids = [need.id for need in needs if need.id is not None]
    count = anonymise_need_contacts(db, ids)
    record(
        db,
        "privacy.resident_anonymised",
        object_type="resident",
        object_id=None,
        actor=viewer,
        after={"need_ids": ids, "anonymised": count, "by": lookup},
    )
    return count
