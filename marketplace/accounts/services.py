"""Accounts: signing in and out, passwords, profiles, and the admins' user management.

Every change writes its audit row in the same transaction as the change.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import PasswordReset, UserSession
from marketplace.accounts.models import Role, StaffGrid, User
from marketplace.accounts.password_policy import PasswordProblem, check_password, normalise_password
from marketplace.accounts.passwords import hash_password, needs_rehash, verify_password
from marketplace.audit.services import changed, record, snapshot
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.domain_surface import surface_attribute
from marketplace.i18n import N_
from marketplace.notifications import services as notifications_services
from marketplace.organizations import services as organizations_services
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.places.models import Community, Grid, Street
from marketplace.places.services import admin_street_ids, grids_of_streets
from marketplace.privacy.services import is_erased_username
from marketplace.security.disabling import end_credentials
from marketplace.security.identity import CurrentUser
from marketplace.security.reset_links import account_is_active, retire_reset_links
from marketplace.security.secrets import digest, new_secret
from marketplace.security.sessions import Lifetimes, revoke_all_sessions, revoke_session, start_session
from marketplace.security.throttle import forget_account_failures, normalise_account, release_attempt, reserve_attempt
from marketplace.settings import Settings
from marketplace.volunteers.models import VolunteerProfile

if TYPE_CHECKING:
    from marketplace.accounts.credentials import ApiToken as ApiToken
    from marketplace.accounts.credentials import LoginFailure as LoginFailure
    from marketplace.accounts.credentials import PasswordReset as PasswordReset
    from marketplace.accounts.credentials import UserSession as UserSession
    from marketplace.accounts.password_policy import PasswordProblem as PasswordProblem
    from marketplace.accounts.password_policy import check_password as check_password
    from marketplace.accounts.password_policy import normalise_password as normalise_password
    from marketplace.accounts.passwords import hash_password as hash_password
    from marketplace.accounts.passwords import verify_password as verify_password
    from marketplace.accounts.registration_limit import count_registration as count_registration

# The domain's surface for other domains: they reach its modules only through these names, each
# resolved on first use (so that the modules themselves may import this one).
_SURFACE = {
    "ApiToken": "credentials",
    "LoginFailure": "credentials",
    "PasswordProblem": "password_policy",
    "PasswordReset": "credentials",
    "UserSession": "credentials",
    "check_password": "password_policy",
    "count_registration": "registration_limit",
    "hash_password": "passwords",
    "normalise_password": "password_policy",
    "verify_password": "passwords",
}


def __getattr__(name: str) -> Any:
    return surface_attribute(__name__, _SURFACE, name)


PROFILE_FIELDS = ["display_name", "email", "phone", "preferred_locale"]
ADMIN_FIELDS = [
    "username",
    "display_name",
    "role",
    "is_active",
    "organization_id",
    "community_id",
    "street_id",
    "is_org_manager",
]

LOGIN_FAILED = N_("The user name or the password is wrong.")


class LoginFailed(Exception):
    """Wrong user name or password, or a disabled account: one message for all, so nothing leaks."""


@dataclass
class AccountError(Exception):
    """Bad input for an account action: which field and why (an untranslated msgid and its values)."""

    field: str
    message: str
    params: tuple[tuple[str, object], ...] = ()
    status_code: int = 400

    @classmethod
    def from_problem(cls, problem: PasswordProblem, field: str | None = None) -> "AccountError":
        return cls(field or problem.field, problem.message, problem.params)


@cache
def _dummy_hash() -> str:
    # Unknown users are verified against this, so they take as long as known ones.
    return hash_password("not-a-real-password-" + new_secret(8))


# --- signing in and out ------------------------------------------------------------------------


@dataclass
class LoginResult:
    user: User
    secret: str
    session: UserSession


def authenticate(
    factory: sessionmaker[Session],
    reader_factory: sessionmaker[Session],
    settings: Settings,
    username: str,
    password: str,
    *,
    client_address: str | None,
    user_agent: str | None,
) -> LoginResult:
    """Check the throttle, then the password; a new session on success. Raises Throttled or LoginFailed."""
    account = normalise_account(username)
    address = client_address or "unknown"
    reservation = reserve_attempt(factory, settings, account, address)
    with reader_factory() as reader:
        user = reader.execute(sa.select(User).where(User.username == account)).scalar_one_or_none()
    candidate = normalise_password(password)
    # Always one argon2 verification, whether or not the account exists.
    ok = verify_password(user.password_hash if user and user.password_hash else _dummy_hash(), candidate)
    with session_scope(factory) as db:
        if not ok or user is None or not user.is_active or user.id is None:
            record(
                db,
                "auth.login_failed",
                object_type="user",
                object_id=user.id if user else None,
                after={"username": account},
                client_address=address,
            )
            result = None
        else:
            row = db.get(User, user.id)
            assert row is not None and row.id is not None
            if row.password_hash and needs_rehash(row.password_hash):
                row.password_hash = hash_password(candidate)
            row.last_login_at = utcnow()
            secret, session_row = start_session(
                db, row.id, Lifetimes.of(settings), client_address=address, user_agent=user_agent
            )
            release_attempt(db, reservation)
            record(
                db,
                "auth.login",
                object_type="user",
                object_id=row.id,
                actor_id=row.id,
                actor_role=row.role.value,
                after={"session_id": session_row.id},
                client_address=address,
            )
            result = LoginResult(row, secret, session_row)
    if result is None:
        raise LoginFailed(LOGIN_FAILED)
    return result


def own_password_key(actor: CurrentUser) -> str:
    """Where an account's wrong retypes of its own password are counted, in place of an address: the account
    itself (no address is written like this), so they count per account only."""
    return f"own-password:{actor.id}"


def confirm_own_password(
    factory: sessionmaker[Session],
    reader_factory: sessionmaker[Session],
    settings: Settings,
    actor: CurrentUser,
    password: str,
    *,
    client_address: str | None,
) -> bool:
    """A signed-in person retyping their password (to change it, to ask for their account's erasure): counted
    by the sign-in throttle with its limit, so whoever holds an open session cannot guess it without limit.

    The count is the account's own (``own_password_key``), not the address's: the session already says whose
    password it is, and ten wrong retypes at a street office's shared address must not hold back colleagues
    signing in from there. Raises Throttled when the account has retyped it wrong too often. Call it before
    the request's own session writes anything: the count is written in a transaction of its own, kept when
    the page then rolls back, and forgotten when the password was right. The audit row keeps the address.
    """
    reservation = reserve_attempt(factory, settings, actor.username, own_password_key(actor))
    with reader_factory() as reader:
        stored = reader.execute(sa.select(User.password_hash).where(User.id == actor.id)).scalar_one_or_none()
    ok = verify_password(stored or _dummy_hash(), normalise_password(password[:1024]))
    with session_scope(factory) as db:
        if ok:
            release_attempt(db, reservation)
        else:
            record(
                db,
                "auth.login_failed",
                object_type="user",
                object_id=actor.id,
                actor=actor,
                after={"username": normalise_account(actor.username), "reason": "password_check"},
                client_address=client_address,
            )
    return ok


def record_throttled(factory: sessionmaker[Session], username: str, address: str | None) -> None:
    with session_scope(factory) as db:
        record(
            db,
            "auth.login_failed",
            object_type="user",
            object_id=None,
            after={"username": normalise_account(username), "reason": "throttled"},
            client_address=address,
        )


def logout(db: Session, actor: CurrentUser) -> None:
    if actor.session_id is not None:
        revoke_session(db, actor.session_id)
    record(
        db, "auth.logout", object_type="user", object_id=actor.id, actor=actor, after={"session_id": actor.session_id}
    )


# --- one's own account ---------------------------------------------------------------------------


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise AccountError("user", N_("There is no such user."), status_code=404)
    return user


def change_password(db: Session, actor: CurrentUser, current: str, new: str, confirm: str) -> int:
    """Set a new password; every OTHER session of the user ends. Returns how many ended."""
    user = _user(db, actor.id)
    if not verify_password(user.password_hash, normalise_password(current)):
        raise AccountError("current_password", N_("The current password is wrong."))
    if new != confirm:
        raise AccountError("confirm_password", N_("The two new passwords differ."))
    try:
        normalised = check_password(new, username=user.username, display_name=user.display_name, field="new_password")
    except PasswordProblem as problem:
        raise AccountError.from_problem(problem) from None
    if verify_password(user.password_hash, normalised):
        raise AccountError("new_password", N_("The new password must differ from the current one."))
    user.password_hash = hash_password(normalised)
    retire_reset_links(db, actor.id)
    ended = end_other_sessions(db, actor.id, actor.session_id)
    record(
        db,
        "auth.password_changed",
        object_type="user",
        object_id=user.id,
        actor=actor,
        after={"other_sessions_ended": ended},
    )
    return ended


def end_other_sessions(db: Session, user_id: int, keep_session_id: int | None) -> int:
    condition = [UserSession.user_id == user_id, UserSession.revoked_at.is_(None)]  # type: ignore[union-attr]
    if keep_session_id is not None:
        condition.append(UserSession.id != keep_session_id)  # type: ignore[arg-type]
    result = db.execute(sa.update(UserSession).where(*condition).values(revoked_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def sign_out_other_sessions(db: Session, actor: CurrentUser) -> int:
    ended = end_other_sessions(db, actor.id, actor.session_id)
    record(
        db,
        "auth.sessions_ended",
        object_type="user",
        object_id=actor.id,
        actor=actor,
        after={"sessions_ended": ended, "kept": actor.session_id},
    )
    return ended


def active_sessions(db: Session, user_id: int, settings: Settings) -> list[UserSession]:
    now = utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    rows = db.execute(
        sa.select(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > now)  # type: ignore[union-attr]
        .order_by(UserSession.last_seen_at.desc())  # type: ignore[attr-defined]
    ).scalars()
    return [row for row in rows if row.last_seen_at + idle > now]


def update_profile(db: Session, actor: CurrentUser, values: dict[str, Any]) -> User:
    """``values`` come from a validated UserUpdate (only the fields that were sent)."""
    user = _user(db, actor.id)
    before = snapshot(user, PROFILE_FIELDS)
    for key, value in values.items():
        if key in PROFILE_FIELDS:
            setattr(user, key, value)
    old, new = changed(before, snapshot(user, PROFILE_FIELDS))
    if new:
        record(db, "user.profile_update", object_type="user", object_id=user.id, actor=actor, before=old, after=new)
    return user


NOTIFICATION_PREFERENCES = ("shift_reminders", "daily_digest")


def set_notification_preferences(db: Session, actor: CurrentUser, chosen: set[str]) -> User:
    """Turn the centre's own messages on or off: each preference is on when it is in ``chosen``."""
    user = _user(db, actor.id)
    before = snapshot(user, list(NOTIFICATION_PREFERENCES))
    for name in NOTIFICATION_PREFERENCES:
        setattr(user, name, name in chosen)
    old, new = changed(before, snapshot(user, list(NOTIFICATION_PREFERENCES)))
    if new:
        record(db, "user.profile_update", object_type="user", object_id=user.id, actor=actor, before=old, after=new)
    return user


# --- password reset links ---------------------------------------------------------------------------


def issue_reset_link(
    db: Session, actor: CurrentUser, user_id: int, settings: Settings, pending: Callable[[int], str]
) -> PasswordReset:
    """A one-time password reset for the admin to hand over, audited; its link is made, shown and sent to the
    user's outbox by ``show_reset_link`` on the page the form redirects to (its digest is ``pending(row id)``
    until then: security/reveal.py)."""
    user = managed_user(db, actor, user_id)
    _not_erased(user, "user_id")
    retire_reset_links(db, user_id)  # one live link per account: the new one
    now = utcnow()
    row = PasswordReset(
        user_id=user_id,
        token_hash=digest(new_secret()),  # for the insert only: replaced by the pending digest below
        created_by_id=actor.id,
        created_at=now,
        expires_at=now + timedelta(hours=settings.password_reset_hours),
    )
    db.add(row)
    db.flush()
    assert row.id is not None
    row.token_hash = pending(row.id)
    db.flush()
    record(
        db,
        "user.password_reset_issued",
        object_type="user",
        object_id=user.id,
        actor=actor,
        after={"reset_id": row.id, "expires_at": row.expires_at.isoformat()},
    )
    return row


def reset_to_show(db: Session, actor: CurrentUser, user_id: int, reset_id: int) -> PasswordReset | None:
    """A reset ``actor`` issued for this user (still one they manage); None for any other (as good as missing)."""
    try:
        managed_user(db, actor, user_id)
    except AccountError:
        return None
    row = db.get(PasswordReset, reset_id)
    if row is None or row.user_id != user_id or row.created_by_id != actor.id:
        return None
    return row


def show_reset_link(
    db: Session, actor: CurrentUser, row: PasswordReset, settings: Settings, pending: str
) -> str | None:
    """Make the reset's link (/reset/<secret>) and swap its digest in for the pending one, then send it to the
    user's outbox: the path, the first time; None once it was shown (or the reset was used or expired)."""
    secret = new_secret()
    swapped = db.execute(
        sa.update(PasswordReset)
        .where(
            PasswordReset.id == row.id,  # type: ignore[arg-type]
            PasswordReset.token_hash == pending,  # type: ignore[arg-type]
            PasswordReset.created_by_id == actor.id,  # type: ignore[arg-type]
            PasswordReset.used_at.is_(None),  # type: ignore[union-attr]
            PasswordReset.expires_at > utcnow(),  # type: ignore[arg-type]
        )
        .values(token_hash=digest(secret))
        .execution_options(synchronize_session=False)
    )
    if int(swapped.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    path = f"/reset/{secret}"
    notifications_services.send(
        db,
        row.user_id,
        "password_reset",
        {"link": path, "expires_at": row.expires_at.isoformat()},
        echo=not settings.is_production,
    )
    record(
        db,
        "user.password_reset_shown",
        object_type="user",
        object_id=row.user_id,
        actor=actor,
        after={"reset_id": row.id},
    )
    return path


def find_reset(db: Session, secret: str) -> PasswordReset:
    """The live reset for a link; 400 for an unknown link, 410 for a used or expired one."""
    row = db.execute(sa.select(PasswordReset).where(PasswordReset.token_hash == digest(secret))).scalar_one_or_none()
    if row is None:
        raise AccountError("token", N_("This password reset link is not valid."), status_code=400)
    if row.used_at is not None:
        raise AccountError("token", N_("This password reset link was already used."), status_code=410)
    # A disabled account's links (by an admin, the command line or an erasure) are dead as well.
    if row.expires_at <= utcnow() or not account_is_active(db, row.user_id):
        raise AccountError(
            "token", N_("This password reset link has expired. Ask an admin for a new one."), status_code=410
        )
    return row


def reset_password(db: Session, secret: str, new: str, confirm: str) -> User:
    row = find_reset(db, secret)
    user = _user(db, row.user_id)
    if new != confirm:
        raise AccountError("confirm_password", N_("The two new passwords differ."))
    try:
        normalised = check_password(new, username=user.username, display_name=user.display_name, field="new_password")
    except PasswordProblem as problem:
        raise AccountError.from_problem(problem) from None
    # Mark it used first, guarded by used_at IS NULL, so two tabs cannot both use one link.
    claimed = db.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.id == row.id, PasswordReset.used_at.is_(None))  # type: ignore[arg-type, union-attr]
        .values(used_at=utcnow())
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        raise AccountError("token", N_("This password reset link was already used."), status_code=410)
    user.password_hash = hash_password(normalised)
    retire_reset_links(db, row.user_id, keep_id=row.id)
    ended = revoke_all_sessions(db, row.user_id)
    # Locked out by someone's guessing, the owner got this link from an admin: it lets them straight in.
    forgotten = forget_account_failures(db, user.username)
    record(
        db,
        "auth.password_reset",
        object_type="user",
        object_id=user.id,
        actor_id=user.id,
        actor_role=user.role.value,
        after={"reset_id": row.id, "sessions_ended": ended, "failed_sign_ins_forgotten": forgotten},
    )
    return user


# --- admins: user management ---------------------------------------------------------------------------


@dataclass
class UserList:
    rows: list[User]
    total: int
    page: int
    pages: int


def user_in_admin_streets(viewer: CurrentUser) -> sa.ColumnElement[bool]:
    """A condition on User.id: the accounts a street admin manages (a city admin: all).

    Admins and staff of the street, staff of its communities, partners of organizations serving it and
    volunteers serving it; city admins and other streets' people are out of scope (as good as missing).
    """
    street_ids = admin_street_ids(viewer)
    if street_ids is None:
        return sa.true()
    ids = sorted(street_ids)
    communities = sa.select(Community.id).where(Community.street_id.in_(ids))  # type: ignore[attr-defined]
    volunteers = sa.select(VolunteerProfile.user_id).where(
        VolunteerProfile.id.in_(organizations_services.volunteers_serving(street_ids))
    )  # type: ignore[union-attr]
    return sa.or_(
        sa.and_(User.role.in_([Role.ADMIN, Role.STAFF]), User.street_id.in_(ids)),  # type: ignore[attr-defined]
        sa.and_(User.role == Role.STAFF, User.community_id.in_(communities)),  # type: ignore[union-attr]
        sa.and_(
            User.role == Role.PARTNER,
            User.organization_id.in_(organizations_services.organizations_serving(street_ids)),
        ),  # type: ignore[union-attr]
        sa.and_(
            User.role == Role.VOLUNTEER,
            sa.or_(
                User.id.in_(volunteers),  # type: ignore[union-attr]
                # Before filling in a profile, a volunteer belongs to the street they registered in.
                sa.and_(
                    User.street_id.in_(ids),  # type: ignore[attr-defined]
                    User.id.not_in(sa.select(VolunteerProfile.user_id)),  # type: ignore[union-attr]
                ),
            ),
        ),
    )


def managed_user(db: Session, viewer: CurrentUser, user_id: int) -> User:
    """A user an admin manages; another street's (or a city admin, for a street admin) is a 404."""
    found = db.execute(sa.select(User).where(User.id == user_id, user_in_admin_streets(viewer))).scalar_one_or_none()
    if found is None:
        raise AccountError("user", N_("There is no such user."), status_code=404)
    return found


def search_users(
    db: Session,
    viewer: CurrentUser,
    *,
    query: str = "",
    role: str = "",
    status: str = "",
    page: int = 1,
    page_size: int = 20,
) -> UserList:
    conditions: list[Any] = [user_in_admin_streets(viewer)]
    if query:
        like = f"%{query.strip()}%"
        conditions.append(sa.or_(User.username.ilike(like), User.display_name.ilike(like)))  # type: ignore[attr-defined]
    if role in {r.value for r in Role}:
        conditions.append(User.role == Role(role))
    if status == "active":
        conditions.append(User.is_active.is_(True))  # type: ignore[attr-defined]
    elif status == "disabled":
        conditions.append(User.is_active.is_(False))  # type: ignore[attr-defined]
    total = db.execute(sa.select(sa.func.count()).select_from(User).where(*conditions)).scalar_one()
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = list(
        db.execute(
            sa.select(User).where(*conditions).order_by(User.id).offset((page - 1) * page_size).limit(page_size)
        ).scalars()
    )
    return UserList(rows, total, page, pages)


def staff_grid_ids(db: Session, user_id: int) -> list[int]:
    return sorted(db.execute(sa.select(StaffGrid.grid_id).where(StaffGrid.user_id == user_id)).scalars())


def _admin_snapshot(db: Session, user: User) -> dict[str, Any]:
    values = snapshot(user, ADMIN_FIELDS) or {}
    values["grid_ids"] = staff_grid_ids(db, user.id) if user.id else []
    return values


# Which street a new admin works for, as an admin chose it: a street's id, the whole city, or unsaid.
CITY = "city"
AdminStreet = int | str | None


def admin_street_of(db: Session, actor: CurrentUser, choice: AdminStreet) -> int | None:
    """The street an admin made or promoted by ``actor`` belongs to (None: a city admin).

    One rule for every path that makes an admin, because an admin without a street is a city admin:
    a street admin makes admins of their own street only; a city admin names the street, or the
    whole city, explicitly.
    """
    if actor.street_id is not None:
        if choice is None or choice == actor.street_id:
            return actor.street_id
        raise AccountError("street_id", N_("You can make admins of your own street only."))
    if choice is None or choice == "":
        raise AccountError("street_id", N_("Choose the street this admin works for, or the whole city."))
    if choice == CITY:
        return None
    if not isinstance(choice, int) or db.get(Street, choice) is None:
        raise AccountError("street_id", N_("There is no such street."))
    return choice


def _not_self(actor: CurrentUser, user: User, field: str) -> None:
    if user.id == actor.id:
        raise AccountError(field, N_("You cannot do this to your own account."), status_code=409)


def _not_erased(user: User, field: str) -> None:
    """An account erased on its owner's request stays gone: no one signs in to it again."""
    if is_erased_username(user.username):
        raise AccountError(field, N_("This account was erased at its owner's request."), status_code=409)


def set_active(db: Session, actor: CurrentUser, user_id: int, active: bool) -> User:
    user = managed_user(db, actor, user_id)
    _not_self(actor, user, "is_active")
    if active:
        _not_erased(user, "is_active")
    before = _admin_snapshot(db, user)
    user.is_active = active
    ended = {} if active else end_credentials(db, user_id)
    after = _admin_snapshot(db, user) | ended
    record(
        db,
        "user.enable" if active else "user.disable",
        object_type="user",
        object_id=user.id,
        actor=actor,
        before=before,
        after=after,
    )
    return user


def end_all_sessions(db: Session, actor: CurrentUser, user_id: int) -> int:
    user = managed_user(db, actor, user_id)
    ended = revoke_all_sessions(db, user_id)
    record(
        db, "user.sessions_ended", object_type="user", object_id=user.id, actor=actor, after={"sessions_ended": ended}
    )
    return ended


def approved_organizations(db: Session, viewer: CurrentUser) -> list[Organization]:
    """The organizations an admin may make someone a partner of: approved, serving the admin's street."""
    statement = sa.select(Organization).where(Organization.status == OrganizationStatus.APPROVED)
    street_ids = admin_street_ids(viewer)
    if street_ids is not None:
        statement = statement.where(Organization.id.in_(organizations_services.organizations_serving(street_ids)))  # type: ignore[union-attr]
    return list(db.execute(statement.order_by(Organization.name)).scalars())


def _check_scope(
    db: Session,
    actor: CurrentUser,
    role: Role,
    organization_id: int | None,
    community_id: int | None,
    grid_ids: list[int],
) -> None:
    """The organization, community and grids exist and lie in the acting admin's street (a city admin's: any)."""
    street_ids = admin_street_ids(actor)
    if role == Role.PARTNER:
        org = db.get(Organization, organization_id) if organization_id else None
        if org is None or org.status != OrganizationStatus.APPROVED:
            raise AccountError("organization_id", N_("A partner needs an approved organization."))
        if (
            street_ids is not None
            and not db.execute(
                organizations_services.organizations_serving(street_ids).where(Organization.id == org.id)
            ).first()
        ):
            raise AccountError("organization_id", N_("A partner needs an approved organization."))
    if role == Role.STAFF:
        if community_id is None and not grid_ids:
            raise AccountError("community_id", N_("Staff need a community or at least one grid."))
        community = db.get(Community, community_id) if community_id is not None else None
        if community_id is not None and (
            community is None or (street_ids is not None and community.street_id not in street_ids)
        ):
            raise AccountError("community_id", N_("There is no such community."))
        grids = sa.select(sa.func.count()).select_from(Grid).where(Grid.id.in_(grid_ids))  # type: ignore[union-attr]
        if street_ids is not None:
            grids = grids.where(Grid.id.in_(grids_of_streets(street_ids)))  # type: ignore[union-attr]
        if db.execute(grids).scalar_one() != len(set(grid_ids)):
            raise AccountError("grid_ids", N_("There is no such grid."))


def _apply_scope(
    db: Session, user: User, role: Role, organization_id: int | None, community_id: int | None, grid_ids: list[int]
) -> None:
    assert user.id is not None
    user.role = role
    user.organization_id = organization_id if role == Role.PARTNER else None
    if role != Role.PARTNER:
        user.is_org_manager = False
    user.community_id = community_id if role == Role.STAFF else None
    db.execute(sa.delete(StaffGrid).where(StaffGrid.user_id == user.id))  # type: ignore[arg-type]
    if role == Role.STAFF:
        for grid_id in sorted(set(grid_ids)):
            db.add(StaffGrid(user_id=user.id, grid_id=grid_id))
    db.flush()


def change_role(
    db: Session,
    actor: CurrentUser,
    user_id: int,
    role: Role,
    *,
    organization_id: int | None = None,
    community_id: int | None = None,
    grid_ids: list[int] | None = None,
    street: AdminStreet = None,
) -> User:
    user = managed_user(db, actor, user_id)
    _not_self(actor, user, "role")
    grid_ids = grid_ids or []
    _check_scope(db, actor, role, organization_id, community_id, grid_ids)
    before = _admin_snapshot(db, user)
    if role == Role.ADMIN:
        user.street_id = admin_street_of(db, actor, street)
    elif role == Role.STAFF:
        user.street_id = _street_of_scope(db, community_id, grid_ids)
    _apply_scope(db, user, role, organization_id, community_id, grid_ids)
    old, new = changed(before, _admin_snapshot(db, user))
    record(db, "user.role_change", object_type="user", object_id=user.id, actor=actor, before=old, after=new)
    return user


def _street_of_scope(db: Session, community_id: int | None, grid_ids: list[int]) -> int | None:
    if community_id is not None:
        community = db.get(Community, community_id)
        return community.street_id if community else None
    grid = db.get(Grid, grid_ids[0]) if grid_ids else None
    community = db.get(Community, grid.community_id) if grid else None
    return community.street_id if community else None


def create_user(
    db: Session,
    actor: CurrentUser,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role,
    phone: str | None = None,
    email: str | None = None,
    community_id: int | None = None,
    grid_ids: list[int] | None = None,
    street: AdminStreet = None,
) -> User:
    """Admins create staff and admins; partners and volunteers register themselves."""
    if role not in (Role.STAFF, Role.ADMIN):
        raise AccountError("role", N_("Admins create staff and admin accounts only."))
    grid_ids = grid_ids or []
    try:
        normalised = check_password(password, username=username, display_name=display_name)
    except PasswordProblem as problem:
        raise AccountError.from_problem(problem) from None
    if db.execute(sa.select(User.id).where(User.username == username)).first():
        raise AccountError("username", N_("This user name is taken."), status_code=409)
    _check_scope(db, actor, role, None, community_id, grid_ids)
    if role == Role.ADMIN:
        street_id = admin_street_of(db, actor, street)
    else:
        street_id = _street_of_scope(db, community_id, grid_ids)
    user = User(
        username=username,
        display_name=display_name,
        password_hash=hash_password(normalised),
        role=role,
        phone=phone,
        email=email,
        # Staff belong to the street their community or grids lie in; an admin to the street chosen for them.
        street_id=street_id,
    )
    db.add(user)
    db.flush()
    _apply_scope(db, user, role, None, community_id, grid_ids)
    record(db, "user.create", object_type="user", object_id=user.id, actor=actor, after=_admin_snapshot(db, user))
    return user
