"""Organizations: registration, the admins' vetting, the partner's own organization and its users.

Every read goes through ``scope.organizations_visible_to`` (or the organization-users scope): a partner
reads the approved organizations' public fields as anyone does, and their own in full; another organization
that is not approved is simply not found, even by guessing ids. A partner's changes go through
``get_own_organization``: every other organization is 404 to them.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from litestar import Request
from litestar.exceptions import ClientException, NotFoundException, PermissionDeniedException
from litestar.status_codes import HTTP_409_CONFLICT
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from marketplace.accounts import services as accounts_services
from marketplace.accounts.models import Role, User
from marketplace.audit.models import AuditEvent
from marketplace.audit.services import changed, record, snapshot
from marketplace.domain_surface import surface_attribute
from marketplace.forms import one, validate
from marketplace.i18n import N_, NC_, translate
from marketplace.i18n import gettext as _
from marketplace.notifications import services as notifications_services
from marketplace.organizations import served_streets
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationStatus
from marketplace.organizations.schemas import AccountCreate, OrganizationCreate
from marketplace.organizations.scope import organization_users_visible_to, organizations_visible_to
from marketplace.organizations.standing import OrganizationNotApproved, Standing, in_good_standing
from marketplace.places.models import Community, Grid, Street
from marketplace.security.disabling import end_credentials, end_members_credentials
from marketplace.security.identity import CurrentUser
from marketplace.security.sessions import Lifetimes, session_cookie, start_session

if TYPE_CHECKING:
    from marketplace.organizations.directory import OrganizationFilters as OrganizationFilters
    from marketplace.organizations.directory import OrganizationRow as OrganizationRow
    from marketplace.organizations.directory import count_organizations as count_organizations
    from marketplace.organizations.directory import export_listing as export_listing
    from marketplace.organizations.directory import parse_filters as parse_filters
    from marketplace.organizations.scope import organization_ids_in_admin_streets as organization_ids_in_admin_streets
    from marketplace.organizations.scope import organization_ids_serving as organization_ids_serving
    from marketplace.organizations.scope import organization_in_admin_streets as organization_in_admin_streets
    from marketplace.organizations.scope import organizations_serving as organizations_serving
    from marketplace.organizations.scope import organizations_visible_to as organizations_visible_to
    from marketplace.organizations.scope import street_ids_served_by as street_ids_served_by
    from marketplace.organizations.scope import volunteer_ids_serving as volunteer_ids_serving
    from marketplace.organizations.scope import volunteers_serving as volunteers_serving
    from marketplace.organizations.scope import volunteers_visible_to as volunteers_visible_to
    from marketplace.organizations.served_streets import LIVE_OFFERS as LIVE_OFFERS
    from marketplace.organizations.served_streets import hold_organization as hold_organization
    from marketplace.organizations.standing import offering_organization_ids as offering_organization_ids
    from marketplace.organizations.standing import standing_probe as standing_probe
    from marketplace.organizations.waiting import application_moved_on as application_moved_on

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "LIVE_OFFERS": "served_streets",
    "application_moved_on": "waiting",
    "OrganizationFilters": "directory",
    "OrganizationRow": "directory",
    "count_organizations": "directory",
    "export_listing": "directory",
    "hold_organization": "served_streets",
    "offering_organization_ids": "standing",
    "organization_ids_in_admin_streets": "scope",
    "organization_ids_serving": "scope",
    "organization_in_admin_streets": "scope",
    "organizations_serving": "scope",
    "organizations_visible_to": "scope",
    "parse_filters": "directory",
    "standing_probe": "standing",
    "street_ids_served_by": "scope",
    "volunteer_ids_serving": "scope",
    "volunteers_serving": "scope",
    "volunteers_visible_to": "scope",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


ORGANIZATION_FIELDS = [
    "name",
    "name_en",
    "kind",
    "credit_code",
    "contact_name",
    "contact_phone",
    "address",
    "description",
    "status",
    "status_reason",
]
EDITABLE_FIELDS = ("contact_name", "contact_phone", "address", "description")
USER_FIELDS = ["username", "display_name", "phone", "role", "organization_id", "is_org_manager", "is_active"]


class Conflict(ClientException):
    """409, not in a state that allows this: ``code`` says which refusal (docs/api_refusals.md), ``key`` the
    field at fault where one is."""

    status_code = HTTP_409_CONFLICT

    def __init__(self, detail: str, *, code: str = "conflict", key: str | None = None, extra: dict | None = None):
        super().__init__(detail, extra={"code": code, **({"key": key} if key else {}), **(extra or {})})


class FormProblem(Exception):
    """Input that passed validation but the database refused (a duplicate); ``field`` names the input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def check_password(password: str, username: str = "", display_name: str = "") -> str | None:
    """Why the shared password policy refuses ``password`` (translated), or None."""
    try:
        accounts_services.check_password(password, username=username, display_name=display_name)
    except accounts_services.PasswordProblem as problem:
        return _(problem.message) % dict(problem.params) if problem.params else _(problem.message)
    return None


# --- registration ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ManagerAccount:
    username: str
    display_name: str
    phone: str
    password: str


def _check_grids(db: Session, grid_ids: list[int]) -> None:
    found = set(db.execute(sa.select(Grid.id).where(Grid.id.in_(grid_ids))).scalars())  # type: ignore[union-attr]
    if found != set(grid_ids):
        raise FormProblem("grid_ids", _("Choose grids from the list."))


def _set_grids(db: Session, organization_id: int, grid_ids: list[int]) -> None:
    """Every writer of an organization's grids (registration, its manager, a resubmission, an admin's
    correction) goes through the served-streets rule: a street is not given up while the organization's live
    offers or waiting claims are there (409, ``served_streets.StreetStillInUse``)."""
    served_streets.set_service_grids(db, organization_id, grid_ids)


def register_organization(db: Session, data: OrganizationCreate, manager: ManagerAccount) -> tuple[Organization, User]:
    """A pending organization and its manager, in the caller's transaction; duplicates raise ``FormProblem``.

    Uniqueness is left to the database (a concurrent registration of the same code fails there), and
    on a refusal the whole transaction is rolled back, so nothing is half-written.
    """
    _check_grids(db, data.grid_ids)
    organization = data.to_row()
    organization.status = OrganizationStatus.PENDING
    db.add(organization)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise FormProblem("credit_code", _("An organization with this credit code is already registered.")) from None
    assert organization.id is not None
    _set_grids(db, organization.id, data.grid_ids)
    user = User(
        username=manager.username,
        display_name=manager.display_name,
        phone=manager.phone,
        password_hash=accounts_services.hash_password(manager.password),
        role=Role.PARTNER,
        organization_id=organization.id,
        is_org_manager=True,
        street_id=organization.street_id,
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise FormProblem("username", _("This username is taken; choose another.")) from None
    after = snapshot(organization, ORGANIZATION_FIELDS) or {}
    after["grid_ids"] = sorted(data.grid_ids)
    record(
        db,
        "organization.register",
        object_type="organization",
        object_id=organization.id,
        after=after,
        actor_id=user.id,
        actor_role=Role.PARTNER.value,
    )
    record(
        db,
        "user.register",
        object_type="user",
        object_id=user.id,
        after=snapshot(user, USER_FIELDS),
        actor_id=user.id,
        actor_role=Role.PARTNER.value,
    )
    # The street's admins vet it: each is told, and the notice reads as handled once it is decided.
    payload = {"organization": organization.name, "organization_id": organization.id}
    for admin_id in notifications_services.admins_of_street(db, organization.street_id):
        notifications_services.send(db, admin_id, "organization.register", payload, echo=False)
    return organization, user


# --- reading -------------------------------------------------------------------------------------------


def get_visible_organization(db: Session, viewer: CurrentUser | None, organization_id: int) -> Organization:
    """The organization if ``viewer`` may see it; otherwise 404 (never 403: existence is not revealed)."""
    row = db.execute(organizations_visible_to(viewer).where(Organization.id == organization_id)).scalar_one_or_none()
    if row is None:
        raise NotFoundException(_("No such organization."))
    return row  # type: ignore[no-any-return]


def get_own_organization(db: Session, actor: CurrentUser, organization_id: int) -> Organization:
    """The partner's own organization by id, for a change; any other organization (even an approved one the
    partner may read) is 404, as if it did not exist."""
    if actor.role != Role.PARTNER or actor.organization_id != organization_id:
        raise NotFoundException(_("No such organization."))
    return own_organization(db, actor)


def own_organization(db: Session, actor: CurrentUser) -> Organization:
    if actor.role != Role.PARTNER or actor.organization_id is None:
        raise NotFoundException(_("You do not belong to an organization."))
    return get_visible_organization(db, actor, actor.organization_id)


def grids_of(db: Session, organization_ids: list[int]) -> dict[int, list[Grid]]:
    grids: dict[int, list[Grid]] = {organization_id: [] for organization_id in organization_ids}
    if not organization_ids:
        return grids
    rows = db.execute(
        sa.select(OrganizationGrid.organization_id, Grid)
        .join(Grid, Grid.id == OrganizationGrid.grid_id)
        .where(OrganizationGrid.organization_id.in_(organization_ids))  # type: ignore[attr-defined]
        .order_by(Grid.community_id, Grid.number)
    ).all()
    for organization_id, grid in rows:
        grids[organization_id].append(grid)
    return grids


def streets_served(db: Session, organization_ids: list[int]) -> dict[int, list[Street]]:
    """The streets each organization serves: its registration street and its service grids' streets."""
    served: dict[int, set[int]] = {organization_id: set() for organization_id in organization_ids}
    if not organization_ids:
        return {}
    registered = db.execute(
        sa.select(Organization.id, Organization.street_id).where(Organization.id.in_(organization_ids))  # type: ignore[union-attr]
    )
    for organization_id, street_id in registered:
        served[organization_id].add(street_id)
    by_grid = db.execute(
        sa.select(OrganizationGrid.organization_id, Community.street_id)
        .join(Grid, Grid.id == OrganizationGrid.grid_id)
        .join(Community, Community.id == Grid.community_id)
        .where(OrganizationGrid.organization_id.in_(organization_ids))  # type: ignore[attr-defined]
    )
    for organization_id, street_id in by_grid:
        served[organization_id].add(street_id)
    wanted = set().union(*served.values())
    streets = {
        street.id: street
        for street in db.execute(sa.select(Street).where(Street.id.in_(wanted))).scalars()  # type: ignore[union-attr]
    }
    return {
        organization_id: sorted((streets[i] for i in ids if i in streets), key=lambda street: street.code)
        for organization_id, ids in served.items()
    }


def street_count(db: Session) -> int:
    """How many streets the deployment holds (pages name streets only when there is more than one)."""
    return int(db.execute(sa.select(sa.func.count()).select_from(Street)).scalar_one())


@dataclass
class OrganizationListing:
    rows: list[Organization]
    total: int
    counts: dict[str, int] = field(default_factory=dict)


def list_organizations(
    db: Session,
    viewer: CurrentUser | None,
    *,
    status: OrganizationStatus | None = None,
    search: str | None = None,
    page: int = 1,
    page_size: int = 20,
) -> OrganizationListing:
    """Visible organizations, pending first then newest; with a count per status for the admins' tabs."""
    base = organizations_visible_to(viewer)
    if search:
        pattern = f"%{search.strip()}%"
        base = base.where(
            sa.or_(
                Organization.name.ilike(pattern),  # type: ignore[attr-defined]
                Organization.credit_code.ilike(pattern),  # type: ignore[attr-defined]
                sa.func.coalesce(Organization.name_en, "").ilike(pattern),
            )
        )
    subquery = base.subquery()
    counts = {
        str(getattr(value, "value", value)): int(count)
        for value, count in db.execute(sa.select(subquery.c.status, sa.func.count()).group_by(subquery.c.status))
    }
    filtered = base.where(Organization.status == status) if status is not None else base
    total = int(db.execute(sa.select(sa.func.count()).select_from(filtered.subquery())).scalar_one())
    pending_first = sa.case((Organization.status == OrganizationStatus.PENDING, 0), else_=1)
    rows = list(
        db.execute(
            filtered.order_by(pending_first, Organization.created_at.desc(), Organization.id.desc())  # type: ignore[attr-defined]
            .limit(page_size)
            .offset((page - 1) * page_size)
        ).scalars()
    )
    return OrganizationListing(rows=rows, total=total, counts=counts)


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    what: str
    status: str | None
    reason: str | None


HISTORY_LABELS = {
    "organization.register": N_("Registration submitted"),
    "organization.approve": NC_("organization status", "Approved"),
    "organization.reject": N_("Rejected"),
    "organization.suspend": N_("Suspended"),
    "organization.reinstate": N_("Reinstated"),
    "organization.update": N_("Details changed"),
    "organization.resubmit": N_("Corrected and sent again"),
    "organization.edit": N_("Corrected by the street"),
}


def history(db: Session, organization_id: int) -> list[HistoryEntry]:
    """The organization's audit trail in words (newest first)."""
    entries = []
    for event in _events(db, organization_id):
        after = event.after or {}
        status = after.get("status")
        entries.append(
            HistoryEntry(
                at=event.created_at,
                what=translate(HISTORY_LABELS[event.action]) if event.action in HISTORY_LABELS else event.action,
                status=OrganizationStatus(status).label if status in OrganizationStatus._value2member_map_ else None,
                reason=after.get("status_reason"),
            )
        )
    return entries


def _events(db: Session, organization_id: int) -> list[AuditEvent]:
    return list(
        db.execute(
            sa.select(AuditEvent)
            .where(AuditEvent.object_type == "organization", AuditEvent.object_id == organization_id)
            .order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
        ).scalars()
    )


def members(db: Session, actor: CurrentUser, organization_id: int) -> list[User]:
    return list(
        db.execute(
            organization_users_visible_to(actor)
            .where(User.organization_id == organization_id)
            .order_by(User.is_org_manager.desc(), User.id)  # type: ignore[attr-defined]
        ).scalars()
    )


# --- vetting -------------------------------------------------------------------------------------------


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    SUSPEND = "suspend"
    REINSTATE = "reinstate"


# decision → (statuses it may follow, the status it sets, whether a reason is required)
TRANSITIONS: dict[Decision, tuple[frozenset[OrganizationStatus], OrganizationStatus, bool]] = {
    Decision.APPROVE: (frozenset({OrganizationStatus.PENDING}), OrganizationStatus.APPROVED, False),
    Decision.REJECT: (frozenset({OrganizationStatus.PENDING}), OrganizationStatus.REJECTED, True),
    Decision.SUSPEND: (frozenset({OrganizationStatus.APPROVED}), OrganizationStatus.SUSPENDED, True),
    Decision.REINSTATE: (frozenset({OrganizationStatus.SUSPENDED}), OrganizationStatus.APPROVED, False),
}


class MissingReason(ValueError):
    """A rejection or suspension without a reason."""


def decide(
    db: Session, actor: CurrentUser, organization_id: int, decision: Decision, reason: str | None
) -> Organization:
    """Apply an admin's decision with a conditional update: a decision on a stale status is a 409.

    Two admins deciding at once: the database lets exactly one update match the old status.
    """
    if actor.role != Role.ADMIN:
        raise PermissionDeniedException(_("Only the street's admins vet organizations."))
    allowed_from, new_status, needs_reason = TRANSITIONS[decision]
    reason = (reason or "").strip() or None
    if needs_reason and reason is None:
        raise MissingReason()
    if reason is not None and len(reason) > 500:
        raise MissingReason()
    row = get_visible_organization(db, actor, organization_id)
    before = snapshot(row, ["status", "status_reason", "approved_at"])
    now = datetime.now(UTC)
    values: dict[str, Any] = {"status": new_status, "status_reason": reason if needs_reason else None}
    if decision in (Decision.APPROVE, Decision.REINSTATE):
        values["approved_at"] = now
    result = db.execute(
        sa.update(Organization)
        .where(Organization.id == organization_id, Organization.status.in_(allowed_from))  # type: ignore[attr-defined]
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        db.rollback()
        current = db.execute(sa.select(Organization.status).where(Organization.id == organization_id)).scalar_one()
        raise Conflict(
            _("This organization is now “%(status)s”; it cannot be %(decision)s from there. Reload the page.")
            % {"status": OrganizationStatus(current).label, "decision": decision_label(decision)},
            code="organization_status_changed",
            key="status",
            extra={"status": OrganizationStatus(current).value},
        )
    db.expire(row)
    db.refresh(row)
    after = snapshot(row, ["status", "status_reason", "approved_at"]) or {}
    if decision is Decision.SUSPEND:  # the members' sessions, tokens and reset links end (security/disabling.py)
        after |= end_members_credentials(db, organization_id)
    record(
        db,
        f"organization.{decision.value}",
        object_type="organization",
        object_id=organization_id,
        before=before,
        after=after,
        actor=actor,
    )
    notify_members(
        db,
        organization_id,
        kind=f"organization.{decision.value}",
        payload={"organization": row.name, "status": new_status.value, "reason": reason},
    )
    return row


def decision_label(decision: Decision) -> str:
    return {
        Decision.APPROVE: _("approved"),
        Decision.REJECT: _("rejected"),
        Decision.SUSPEND: _("suspended"),
        Decision.REINSTATE: _("reinstated"),
    }[decision]


def notify_members(db: Session, organization_id: int, *, kind: str, payload: dict[str, Any]) -> int:
    """A notification to every active user of the organization (the outbox when the accounts work has it)."""
    user_ids = list(
        db.execute(
            sa.select(User.id).where(User.organization_id == organization_id, User.is_active.is_(True))  # type: ignore[attr-defined]
        ).scalars()
    )
    for user_id in user_ids:
        notifications_services.send(db, user_id, kind, payload | {"organization_id": organization_id}, echo=False)
    return len(user_ids)


def require_approved_organization(db: Session, actor: CurrentUser | None) -> Organization:
    """The actor's organization if it is approved; 403 with the reason otherwise (offers, claims).

    A partner's refusal is an OrganizationNotApproved, which pages explain (since when, what next).
    """
    if actor is None or actor.role != Role.PARTNER:
        raise PermissionDeniedException(_("Only users of an approved partner organization may do this."))
    row = db.get(Organization, actor.organization_id) if actor.organization_id is not None else None
    if row is None:
        message = _("Only users of an approved partner organization may do this.")
        raise OrganizationNotApproved(message, Standing.of(None))
    if not in_good_standing(row):
        messages = {
            OrganizationStatus.PENDING: _("Your organization is awaiting the street's approval."),
            OrganizationStatus.REJECTED: _("Your organization's registration was rejected."),
            OrganizationStatus.SUSPENDED: _("Your organization is suspended."),
        }
        raise OrganizationNotApproved(messages[row.status], Standing.of(row))
    return row


# --- the partner's own organization ---------------------------------------------------------------------


def update_own_organization(
    db: Session, actor: CurrentUser, changes: dict[str, Any], grid_ids: list[int] | None
) -> Organization:
    """The manager edits contacts, address, description and grids; name and code stay as vetted."""
    require_manager(actor)
    row = own_organization(db, actor)
    assert row.id is not None
    before = snapshot(row, list(EDITABLE_FIELDS)) or {}
    before["grid_ids"] = sorted(grid.id for grid in grids_of(db, [row.id])[row.id])  # type: ignore[misc]
    for name in EDITABLE_FIELDS:
        if name in changes:
            setattr(row, name, changes[name])
    after = snapshot(row, list(EDITABLE_FIELDS)) or {}
    if grid_ids is not None:
        _check_grids(db, grid_ids)
        _set_grids(db, row.id, grid_ids)
        after["grid_ids"] = sorted(grid_ids)
    else:
        after["grid_ids"] = before["grid_ids"]
    db.add(row)
    old, new = changed(before, after)
    if new:
        record(db, "organization.update", object_type="organization", object_id=row.id, before=old, after=new)
    db.flush()
    return row


def require_manager(actor: CurrentUser) -> None:
    if actor.role != Role.PARTNER or not actor.is_org_manager:
        raise PermissionDeniedException(_("Only your organization's manager may do this."))


def _member(db: Session, actor: CurrentUser, user_id: int) -> User:
    row = db.execute(organization_users_visible_to(actor).where(User.id == user_id)).scalar_one_or_none()
    if row is None:
        raise NotFoundException(_("No such user in your organization."))
    return row  # type: ignore[no-any-return]


def add_member(
    db: Session, actor: CurrentUser, *, username: str, display_name: str, phone: str | None, password: str
) -> User:
    require_manager(actor)
    # An organization not in good standing gains no account: its users are refused everything a partner does.
    organization = require_approved_organization(db, actor)
    user = User(
        username=username,
        display_name=display_name,
        phone=phone,
        password_hash=accounts_services.hash_password(password),
        role=Role.PARTNER,
        organization_id=organization.id,
        street_id=organization.street_id,
    )
    db.add(user)
    try:
        db.flush()
    except IntegrityError:
        db.rollback()
        raise FormProblem("username", _("This username is taken; choose another.")) from None
    record(db, "user.create", object_type="user", object_id=user.id, after=snapshot(user, USER_FIELDS))
    return user


def set_member_active(db: Session, actor: CurrentUser, user_id: int, active: bool) -> User:
    """Disable (ending their sessions) or re-enable a user of the manager's own organization."""
    require_manager(actor)
    user = _member(db, actor, user_id)
    if user.id == actor.id:
        raise Conflict(
            _("You cannot disable your own account; hand over the manager role first."), code="cannot_disable_self"
        )
    if active:
        # Disabling is always the manager's; enabling gives an account back, which only an organization in good
        # standing does (as adding one: ``add_member``).
        require_approved_organization(db, actor)
    if user.is_active == active:
        return user
    user.is_active = active
    db.add(user)
    ended: dict[str, int] = {}
    if not active:
        assert user.id is not None
        ended = end_credentials(db, user.id)
    record(
        db,
        "user.enable" if active else "user.disable",
        object_type="user",
        object_id=user.id,
        before={"is_active": not active},
        after={"is_active": active, **ended},
    )
    db.flush()
    return user


def hand_over_manager(db: Session, actor: CurrentUser, user_id: int) -> User:
    """Make another active user of the organization its manager; the actor stays a plain user."""
    require_manager(actor)
    successor = _member(db, actor, user_id)
    if successor.id == actor.id:
        return successor
    if not successor.is_active:
        raise Conflict(_("A disabled user cannot become the manager."), code="manager_must_be_active")
    current = _member(db, actor, actor.id)
    current.is_org_manager = False
    successor.is_org_manager = True
    db.add_all([current, successor])
    record(
        db,
        "user.role_change",
        object_type="user",
        object_id=successor.id,
        before={"is_org_manager": False, "previous_manager_id": actor.id},
        after={"is_org_manager": True},
    )
    record(
        db,
        "user.role_change",
        object_type="user",
        object_id=actor.id,
        before={"is_org_manager": True},
        after={"is_org_manager": False, "new_manager_id": successor.id},
    )
    db.flush()
    return successor


def approved_organizations(db: Session) -> list[Organization]:
    return list(db.execute(organizations_visible_to(None).order_by(Organization.name)).scalars())


ACCOUNT_FIELDS = ("username", "display_name", "phone", "password")


def sign_in_new_user(request: Request[Any, Any, Any], db: Session, user_id: int, client_address: str | None) -> Any:
    """Start a session for a user who just registered; returns the cookie to set."""
    settings = request.app.state.settings
    secret, _row = start_session(
        db,
        user_id,
        Lifetimes.of(settings),
        client_address=client_address,
        user_agent=request.headers.get("user-agent"),
    )
    return session_cookie(secret, settings)


def account_errors(form: dict[str, Any]) -> tuple[AccountCreate | None, dict[str, str]]:
    """The new account's fields, with the password policy applied."""
    values = {name: one(form, name) for name in ACCOUNT_FIELDS}
    account, errors = validate(AccountCreate, values)
    if "password" not in errors:
        problem = check_password(values["password"], values["username"], values["display_name"])
        if problem:
            errors["password"] = problem
            account = None
    return account, errors
