"""The signed-in user as the rest of the application sees them: a frozen snapshot per request."""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role, StaffGrid, User
from marketplace.organizations.models import Organization


class AuthMethod(StrEnum):
    SESSION = "session"
    TOKEN = "token"


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    display_name: str
    role: Role
    organization_id: int | None = None
    is_org_manager: bool = False
    street_id: int | None = None
    community_id: int | None = None
    grid_ids: frozenset[int] = field(default_factory=frozenset)
    method: AuthMethod = AuthMethod.SESSION
    session_id: int | None = None
    token_id: int | None = None
    # A token carries scopes; a session may do everything its role allows.
    scopes: frozenset[str] | None = None
    # The header's badge, counted when the user was looked up (templates never query).
    unread_notifications: int = 0
    # A partner's organization status ("approved", "pending", ...): pages offer only what it allows.
    organization_status: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF

    @property
    def is_partner(self) -> bool:
        return self.role == Role.PARTNER

    @property
    def is_volunteer(self) -> bool:
        return self.role == Role.VOLUNTEER

    def has_scope(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes

    @property
    def organization_approved(self) -> bool:
        """A partner whose organization may publish offers and claim projects."""
        return self.role == Role.PARTNER and self.organization_status == "approved"


# What a snapshot is made of, read as a plain row (no ORM object): the login check runs on every request.
USER_COLUMNS = (
    User.id,
    User.username,
    User.display_name,
    User.role,
    User.is_active,
    User.organization_id,
    User.is_org_manager,
    User.street_id,
    User.community_id,
    # Still one statement: the partner's organization status as a correlated subquery.
    sa.select(Organization.status)
    .where(Organization.id == User.organization_id)
    .correlate(User)
    .scalar_subquery()
    .label("organization_status"),
)


def load_current_user(db: Session, user_id: int, **auth: object) -> CurrentUser | None:
    """The snapshot of an active user, or None when the account is gone or disabled."""
    row = db.execute(sa.select(*USER_COLUMNS).where(User.id == user_id)).one_or_none()  # type: ignore[arg-type]
    return None if row is None else snapshot(db, row, **auth)


def snapshot(db: Session, row: Any, **auth: object) -> CurrentUser | None:
    """The snapshot from a row holding ``USER_COLUMNS``; None when the account is disabled."""
    if not row.is_active:
        return None
    grid_ids: frozenset[int] = frozenset()
    if row.role == Role.STAFF:
        grid_ids = frozenset(db.execute(sa.select(StaffGrid.grid_id).where(StaffGrid.user_id == row.id)).scalars())
    return CurrentUser(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        organization_id=row.organization_id,
        is_org_manager=row.is_org_manager,
        street_id=row.street_id,
        community_id=row.community_id,
        grid_ids=grid_ids,
        organization_status=_status_value(getattr(row, "organization_status", None)),
        **auth,  # type: ignore[arg-type]
    )


def _status_value(status: Any) -> str | None:
    return None if status is None else str(getattr(status, "value", status))
