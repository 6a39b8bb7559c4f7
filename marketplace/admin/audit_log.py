"""Searching the audit log: filters, newest first, paged; each row's before/after as a diff.

Reads only. The filters map onto the indexed columns (actor_id, action, created_at).
"""

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.accounts.services import user_in_admin_streets
from marketplace.admin.street_objects import other_street_object_ids
from marketplace.audit import services as audit_services
from marketplace.audit.models import AuditEvent
from marketplace.i18n import N_
from marketplace.places.services import admin_street_ids
from marketplace.query_filters import InvalidFilter
from marketplace.security.identity import CurrentUser
from marketplace.validation import MAX_INT
from marketplace.web import STREET_TIMEZONE, local_date, local_time
from marketplace.whole_numbers import whole_number

# audit_event.object_id is an INTEGER: a larger number is no object's id, and PostgreSQL would refuse to
# compare the column with it ("integer out of range", a 500) instead of finding nothing.
MAX_ID = MAX_INT
MAX_PAGE_SIZE = 200
TEXT_MAX = 64
# Actions the application records (the select of the search form; the log may hold others too).
KNOWN_ACTIONS: tuple[str, ...] = (
    "auth.login",
    "auth.login_failed",
    "auth.logout",
    "auth.password_changed",
    "auth.password_reset",
    "auth.sessions_ended",
    "user.register",
    "user.create",
    "user.profile_update",
    "user.role_change",
    "user.disable",
    "user.enable",
    "user.sessions_ended",
    "user.password_reset_issued",
    "user.password_reset_shown",
    "calendar.reset",
    "organization.register",
    "organization.update",
    "organization.resubmit",
    "organization.edit",
    "organization.approve",
    "organization.reject",
    "organization.suspend",
    "volunteer.register",
    "volunteer.update",
    "volunteer.import",
    "token.create",
    "token.secret_shown",
    "token.revoke",
    "offer.create",
    "offer.update",
    "offer.withdraw",
    "offer.import",
    "item.create",
    "item.update",
    "item.retire",
    "item.restore",
    "item.reresolve",
    "match.claim",
    "match.approve",
    "match.reject",
    "match.cancel",
    "match.deliver",
    "signup.create",
    "signup.cancel",
    "signup.check_in",
    "signup.check_out",
    "signup.no_show",
    "need.verify",
    "need.create",
    "need.update",
    "need.grid_set",
    "need.review",
    "need.publish",
    "need.reject",
    "need.merge",
    "need.merge_into",
    "need.cancel",
    "need.escalate",
    "need.import",
    "need.contact_viewed",
    "need.contact_shared",
    "need.consent_recorded",
    "need.consent_withdrawn",
    "match.propose",
    "round.start",
    "round.finish",
    "round.fail",
    "round_schedule.update",
    "job.retry",
    "job.check",
    "job.prune_run",
    "escalation.acknowledge",
    "privacy.exported",
    "privacy.resident_anonymised",
    "privacy.erasure_requested",
    "privacy.erasure_withdrawn",
    "privacy.erased",
    "privacy.retention_run",
)


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    client_address: str | None = None

    def query_params(self) -> dict[str, str]:
        values = {
            "actor": self.actor,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "address": self.client_address,
        }
        return {key: str(value) for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class DiffLine:
    field: str
    before: Any
    after: Any
    object_type: str = ""

    @property
    def changed(self) -> bool:
        return self.before != self.after

    # Read when the page renders, so in the reader's language (audit/audit_services.py).
    @property
    def label(self) -> str:
        return audit_services.field_label(self.field)

    @property
    def before_shown(self) -> Any:
        return _moment_shown(audit_services.value_label(self.object_type, self.field, self.before))

    @property
    def after_shown(self) -> Any:
        return _moment_shown(audit_services.value_label(self.object_type, self.field, self.after))


# Audit rows store moments as ISO text (UTC); a reader wants the street's date and time in their language.
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)?)?")


def _moment_shown(value: Any) -> Any:
    """An ISO date or moment as the street's date (and time) in the reader's language; anything else as is."""
    if not isinstance(value, str) or not _ISO_MOMENT.fullmatch(value):
        return value
    try:
        if len(value) == 10:
            return local_date(date.fromisoformat(value))
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # the application writes UTC
    return f"{local_date(moment)} {local_time(moment)}"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    created_at: datetime
    actor_id: int | None
    actor_username: str | None
    actor_role: str | None
    action: str
    object_type: str
    object_id: int | None
    client_address: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    diff: list[DiffLine] = field(default_factory=list)

    # Read when the page renders, so in the reader's language.
    @property
    def action_label(self) -> str:
        return audit_services.action_label(self.action)

    @property
    def object_label(self) -> str:
        return audit_services.object_label(self.object_type)

    @property
    def actor_role_label(self) -> str | None:
        return audit_services.role_label(self.actor_role)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "actor": self.actor_username,
            "actor_role": self.actor_role,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "client_address": self.client_address,
            "before": self.before,
            "after": self.after,
        }


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))


AUDIT_FIRST_DAY, AUDIT_LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _text(parameter: str, value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > TEXT_MAX or "\x00" in value:
        raise InvalidFilter(parameter, N_("At most 64 characters"))
    return value


def _day(parameter: str, value: str | None) -> date | None:
    text = _text(parameter, value)
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError as error:
        raise InvalidFilter(parameter, N_("A date like 2026-05-01")) from error
    # The log holds nothing outside these years, and 9999-12-31 plus a day would overflow.
    if not AUDIT_FIRST_DAY <= day <= AUDIT_LAST_DAY:
        raise InvalidFilter(parameter, N_("A date between 2000-01-01 and 2100-12-31"))
    return day


def parse_audit_filters(
    *,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    date_from: str | None = None,
    date_to: str | None = None,
    client_address: str | None = None,
) -> AuditFilters:
    """The search form's fields (empty means any); a bad value is an InvalidFilter naming it."""
    oid_text = _text("object_id", object_id)
    oid: int | None = None
    if oid_text is not None:
        oid = whole_number(oid_text, maximum=MAX_ID)
        if oid is None:
            raise InvalidFilter("object_id", N_("A positive whole number"))
    start, end = _day("from", date_from), _day("to", date_to)
    if start and end and end < start:
        raise InvalidFilter("to", N_("The end date is before the start date"))
    return AuditFilters(
        actor=_text("actor", actor),
        action=_text("action", action),
        object_type=_text("object_type", object_type),
        object_id=oid,
        date_from=start,
        date_to=end,
        client_address=_text("address", client_address),
    )


def _street_midnight_utc(day: date) -> datetime:
    """The instant a street day (Asia/Shanghai) begins."""
    return datetime.combine(day, time.min, tzinfo=STREET_TIMEZONE)


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _conditions(filters: AuditFilters) -> list[sa.ColumnElement[bool]]:
    event = AuditEvent.__table__.c  # type: ignore[attr-defined]
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.actor:
        user_ids = sa.select(User.id).where(User.username == filters.actor).scalar_subquery()  # type: ignore[arg-type]
        conditions.append(event.actor_id == user_ids)
    if filters.action:
        # "organization." or "organization.*" is a prefix; anything else is one action.
        action = filters.action.rstrip("*")
        if action.endswith("."):
            conditions.append(event.action.like(_like_prefix(action), escape="\\"))
        else:
            conditions.append(event.action == action)
    if filters.object_type:
        conditions.append(event.object_type == filters.object_type)
    if filters.object_id is not None:
        conditions.append(event.object_id == filters.object_id)
    if filters.date_from:
        conditions.append(event.created_at >= _street_midnight_utc(filters.date_from))
    if filters.date_to:
        conditions.append(event.created_at < _street_midnight_utc(filters.date_to + timedelta(days=1)))
    if filters.client_address:
        conditions.append(event.client_address == filters.client_address)
    return conditions


def diff_lines(before: dict[str, Any] | None, after: dict[str, Any] | None, object_type: str = "") -> list[DiffLine]:
    """Every field of either side, in the order they were recorded."""
    before, after = before or {}, after or {}
    keys = list(before) + [key for key in after if key not in before]
    return [DiffLine(key, before.get(key), after.get(key), object_type) for key in keys]


def _in_admin_streets(viewer: CurrentUser, event: Any) -> sa.ColumnElement[bool]:
    """Events a street admin reads: what the accounts they manage, the system or the command line did,
    unless it was to an object of another street (a partner serving two streets acts in both)."""
    managed = event.actor_id.in_(sa.select(User.id).where(user_in_admin_streets(viewer)))
    objects = other_street_object_ids(viewer)
    other_street = sa.or_(
        *(sa.and_(event.object_type == kind, event.object_id.in_(ids)) for kind, ids in objects.items())
    )
    return sa.and_(sa.or_(managed, event.actor_id.is_(None)), sa.not_(other_street))


def search_audit(
    reader: Session,
    filters: AuditFilters,
    *,
    viewer: CurrentUser | None = None,
    page: int = 1,
    page_size: int = 50,
) -> AuditPage:
    """A page of matching events, newest first (by id, which follows insertion order).

    A street admin reads what the accounts they manage did (not the system's sweeps, which act on every
    street, nor other streets' people); a city admin, and the command line, read everything."""
    event = AuditEvent.__table__.c  # type: ignore[attr-defined]
    user = User.__table__.c  # type: ignore[attr-defined]
    conditions = _conditions(filters)
    if viewer is not None and admin_street_ids(viewer) is not None:
        conditions.append(_in_admin_streets(viewer, event))
    total = int(reader.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(*conditions)).scalar_one())
    rows = reader.execute(
        sa.select(event, user.username.label("actor_username"))
        .select_from(AuditEvent.__table__.outerjoin(User.__table__, user.id == event.actor_id))  # type: ignore[attr-defined]
        .where(*conditions)
        .order_by(event.id.desc())
        .limit(page_size)
        .offset((page - 1) * page_size)
    ).mappings()
    entries = [
        AuditEntry(
            id=row["id"],
            created_at=row["created_at"],
            actor_id=row["actor_id"],
            actor_username=row["actor_username"],
            actor_role=row["actor_role"],
            action=row["action"],
            object_type=row["object_type"],
            object_id=row["object_id"],
            client_address=row["client_address"],
            before=row["before"],
            after=row["after"],
            diff=diff_lines(row["before"], row["after"], row["object_type"]),
        )
        for row in rows
    ]
    return AuditPage(entries=entries, total=total, page=page, page_size=page_size)


def action_choices(reader: Session) -> list[str]:
    """The known actions plus any other the log holds, for the search form's select."""
    seen = set(reader.execute(sa.select(AuditEvent.action).distinct()).scalars())
    return sorted(set(KNOWN_ACTIONS) | seen)
