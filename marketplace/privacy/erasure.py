"""Erasing a user on request: the person is gone, the record (hours, matches, sign-ups, audit rows) stays.

A user asks from their account page (confirming with their password); an admin carries the request out from
``/admin/privacy``. Requests and their outcome live in the audit log (no table of their own): the pending
requests are the users whose latest ``privacy.erasure_*`` row is a request. Why not erase at once: a street
office must check first that the person is not on an upcoming shift or the only contact of an organisation,
and a mistaken or malicious click (a borrowed phone) must not destroy an account irreversibly.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.accounts.services import (
    ApiToken,
    LoginFailure,
    PasswordReset,
    UserSession,
    normalise_password,
    user_in_admin_streets,
    verify_password,
)
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import clear_client_addresses_of_actor, record
from marketplace.db.types import utcnow
from marketplace.i18n import N_
from marketplace.needs.models import Shift
from marketplace.notifications.models import Notification
from marketplace.organizations.models import Organization
from marketplace.privacy.markers import ANONYMISED, ERASED_USERNAME, erased_name, is_erased_username
from marketplace.privacy.sweep import Values, scrub_everywhere
from marketplace.security.identity import CurrentUser
from marketplace.volunteers.models import (
    AvailabilitySlot,
    ShiftSignup,
    SignupStatus,
    VolunteerInterest,
    VolunteerProfile,
    VolunteerSkill,
)

REQUESTED, WITHDRAWN, ERASED = "privacy.erasure_requested", "privacy.erasure_withdrawn", "privacy.erased"
ERASURE_ACTIONS = (REQUESTED, WITHDRAWN, ERASED)
# Keys of a user's own audit snapshots that hold who they are.
IDENTITY_KEYS = ("display_name", "phone", "email", "username")
LIVE_SIGNUPS = (SignupStatus.PENDING, SignupStatus.CONFIRMED, SignupStatus.CHECKED_IN)


@dataclass
class ErasureProblem(Exception):
    """Why a request or an erasure cannot go ahead: which field, an untranslated message, the HTTP status."""

    field: str
    message: str
    status_code: int = 400
    params: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class ErasureRequest:
    user_id: int
    username: str
    display_name: str
    role: Role
    requested_at: datetime
    upcoming_signups: int


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise ErasureProblem("user_id", N_("There is no such user."), 404)
    return user


def _managed_user(db: Session, admin: CurrentUser, user_id: int) -> User:
    """A user the admin manages: another street's account (or a city admin's, for a street admin) is as good
    as missing, so one street's admin can neither erase nor learn of another street's people."""
    user = db.execute(sa.select(User).where(User.id == user_id, user_in_admin_streets(admin))).scalar_one_or_none()
    if user is None:
        raise ErasureProblem("user_id", N_("There is no such user."), 404)
    return user  # type: ignore[no-any-return]


def is_erased(user: User) -> bool:
    return is_erased_username(user.username) and user.password_hash is None


def latest_erasure_action(db: Session, user_id: int) -> tuple[str, datetime] | None:
    row = db.execute(
        sa.select(AuditEvent.action, AuditEvent.created_at)
        .where(AuditEvent.object_type == "user", AuditEvent.object_id == user_id)
        .where(AuditEvent.action.in_(ERASURE_ACTIONS))  # type: ignore[attr-defined]
        .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()
    return (row[0], row[1]) if row else None


def request_pending(db: Session, user_id: int) -> datetime | None:
    """When the user asked to be erased, if that request is still open."""
    latest = latest_erasure_action(db, user_id)
    return latest[1] if latest and latest[0] == REQUESTED else None


def request_erasure(db: Session, actor: CurrentUser, password: str, confirmed: bool) -> None:
    """The user asks to be erased; their password proves it is them and not whoever holds the phone."""
    user = _user(db, actor.id)
    if not confirmed:
        raise ErasureProblem("confirm", N_("Tick the box to confirm that you want your account deleted."))
    if not password or not verify_password(user.password_hash, normalise_password(password[:1024])):
        raise ErasureProblem("password", N_("The password is wrong."))
    if request_pending(db, actor.id) is not None:
        raise ErasureProblem("request", N_("You have already asked for your account to be deleted."), 409)
    record(db, REQUESTED, object_type="user", object_id=actor.id, actor=actor)


def withdraw_request(db: Session, actor: CurrentUser) -> None:
    if request_pending(db, actor.id) is None:
        raise ErasureProblem("request", N_("There is no open request to withdraw."), 409)
    record(db, WITHDRAWN, object_type="user", object_id=actor.id, actor=actor)


def upcoming_signups(db: Session, user_id: int, now: datetime) -> int:
    """Live sign-ups on shifts not yet over: erasing would leave a place held by nobody."""
    query = (
        sa.select(sa.func.count())
        .select_from(ShiftSignup)
        .join(VolunteerProfile, VolunteerProfile.id == ShiftSignup.volunteer_id)  # type: ignore[arg-type]
        .join(Shift, Shift.id == ShiftSignup.shift_id)  # type: ignore[arg-type]
        .where(VolunteerProfile.user_id == user_id, Shift.ends_at > now)  # type: ignore[arg-type]
        .where(ShiftSignup.status.in_(LIVE_SIGNUPS))  # type: ignore[attr-defined]
    )
    return int(db.execute(query).scalar_one())


def pending_requests(db: Session, admin: CurrentUser) -> list[ErasureRequest]:
    """Open requests of the people ``admin`` manages, oldest first: the latest erasure row of each user is a
    request."""
    latest = (
        sa.select(AuditEvent.object_id, sa.func.max(AuditEvent.id).label("last_id"))
        .where(AuditEvent.object_type == "user", AuditEvent.action.in_(ERASURE_ACTIONS))  # type: ignore[attr-defined]
        .group_by(AuditEvent.object_id)
        .subquery()
    )
    rows = db.execute(
        sa.select(AuditEvent, User)
        .join(latest, latest.c.last_id == AuditEvent.id)
        .join(User, User.id == AuditEvent.object_id)  # type: ignore[arg-type]
        .where(AuditEvent.action == REQUESTED, user_in_admin_streets(admin))
        .order_by(AuditEvent.id)
    ).all()
    now = utcnow()
    return [
        ErasureRequest(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            requested_at=event.created_at,
            upcoming_signups=upcoming_signups(db, user.id, now),
        )
        for event, user in rows
    ]


def _known_values(db: Session, user: User) -> Values:
    """The person's current identifiers and every earlier one their own audit rows remember."""
    values = Values()
    values.add_distinctive(user.phone, user.email)
    values.add_exact(user.username)
    values.add_exact_in_json(user.display_name)
    rows = db.execute(
        sa.select(AuditEvent.before, AuditEvent.after).where(
            AuditEvent.object_type == "user", AuditEvent.object_id == user.id
        )
    ).all()
    for before, after in rows:
        for snapshot in (before or {}, after or {}):
            if not isinstance(snapshot, dict):
                continue
            values.add_distinctive(*(str(snapshot[k]) for k in ("phone", "email") if snapshot.get(k)))
            values.add_exact(*(str(snapshot[k]) for k in ("username",) if snapshot.get(k)))
            values.add_exact_in_json(*(str(snapshot[k]) for k in ("display_name",) if snapshot.get(k)))
    values.exact.discard(ANONYMISED)
    values.exact_in_json.discard(ANONYMISED)
    return values


def _free_username(db: Session, user_id: int) -> str:
    name, n = ERASED_USERNAME.format(id=user_id), 1
    while db.execute(sa.select(User.id).where(User.username == name, User.id != user_id)).first():
        n += 1
        name = f"{ERASED_USERNAME.format(id=user_id)}-{n}"
    return name


def erase_user(db: Session, actor: CurrentUser, user_id: int) -> dict[str, Any]:
    """Anonymise the user in place and scrub their identifiers from every copy; returns the counts recorded."""
    user = _managed_user(db, actor, user_id)
    if user.id == actor.id:
        raise ErasureProblem("user_id", N_("Another admin must erase your own account."), 409)
    if is_erased(user):
        raise ErasureProblem("user_id", N_("This account is already erased."), 409)
    signups = upcoming_signups(db, user_id, utcnow())
    if signups:
        raise ErasureProblem(
            "user_id",
            N_("This person is still signed up for %(count)d shift(s) to come: cancel those sign-ups first."),
            409,
            (("count", signups),),
        )
    values = _known_values(db, user)
    _forget_as_organisation_contact(db, user)
    old_username = user.username
    user.username = _free_username(db, user_id)
    user.display_name = erased_name(user_id)
    user.email = user.phone = user.password_hash = user.preferred_locale = user.last_login_at = None
    user.is_active = False
    user.is_org_manager = False
    db.flush()
    counts = _end_credentials(db, user_id, old_username)
    counts |= _forget_profile(db, user_id)
    # Their own audit rows: every identity key blanked, whatever value it held at the time.
    counts["audit_rows_rewritten"] = _blank_identity_keys(db, user_id)
    counts["client_addresses_cleared"] = clear_client_addresses_of_actor(db, user_id)
    db.flush()
    counts["copies_scrubbed"] = scrub_everywhere(db, values)
    record(db, ERASED, object_type="user", object_id=user_id, actor=actor, after=counts)
    return counts


def _forget_as_organisation_contact(db: Session, user: User) -> None:
    """A partner named as their organisation's contact: the name goes (the sweep takes the phone)."""
    if user.organization_id is None:
        return
    organization = db.get(Organization, user.organization_id)
    if organization is not None and organization.contact_name == user.display_name:
        organization.contact_name = ANONYMISED


def _end_credentials(db: Session, user_id: int, old_username: str) -> dict[str, int]:
    """Sessions (with their addresses and browsers) and reset links go; tokens are revoked, kept as a record."""
    sessions = db.execute(sa.delete(UserSession).where(UserSession.user_id == user_id)).rowcount  # type: ignore[arg-type]
    db.execute(sa.delete(PasswordReset).where(PasswordReset.user_id == user_id))  # type: ignore[arg-type]
    db.execute(sa.delete(LoginFailure).where(LoginFailure.account == old_username))  # type: ignore[arg-type]
    tokens = db.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow())
    ).rowcount
    return {"sessions_ended": int(sessions or 0), "tokens_revoked": int(tokens or 0)}  # type: ignore[attr-defined]


def _forget_profile(db: Session, user_id: int) -> dict[str, int]:
    """Preferences (skills, interests, availability), an imported completion rate and the person's own
    notifications go; hours and sign-ups stay."""
    profile_id = db.execute(sa.select(VolunteerProfile.id).where(VolunteerProfile.user_id == user_id)).scalar()
    if profile_id is not None:
        for preference in (VolunteerSkill, VolunteerInterest, AvailabilitySlot):
            db.execute(sa.delete(preference).where(preference.volunteer_id == profile_id))  # type: ignore[attr-defined]
        db.execute(
            sa.update(VolunteerProfile).where(VolunteerProfile.id == profile_id).values(reliability_rate=None)  # type: ignore[arg-type]
        )
    notifications = db.execute(sa.delete(Notification).where(Notification.user_id == user_id)).rowcount  # type: ignore[arg-type]
    return {"notifications_deleted": int(notifications or 0)}  # type: ignore[attr-defined]


def _blank_identity_keys(db: Session, user_id: int) -> int:
    rows = db.execute(
        sa.select(AuditEvent).where(AuditEvent.object_type == "user", AuditEvent.object_id == user_id)
    ).scalars()
    rewritten = 0
    for event in rows:
        before, after = _blanked(event.before), _blanked(event.after)
        if before != event.before or after != event.after:
            event.before, event.after = before, after  # new objects, so the JSON columns are seen as changed
            rewritten += 1
    return rewritten


def _blanked(snapshot: dict[str, Any] | None) -> dict[str, Any] | None:
    if not snapshot:
        return snapshot
    return {key: (ANONYMISED if key in IDENTITY_KEYS and value else value) for key, value in snapshot.items()}
