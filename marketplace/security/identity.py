"""The signed-in user as the rest of the application sees them: a frozen snapshot per request."""

from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role, StaffGrid, User


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


def load_current_user(db: Session, user_id: int, **auth: object) -> CurrentUser | None:
    """The snapshot of an active user, or None when the account is gone or disabled."""
    user = db.get(User, user_id)
    if user is None or not user.is_active or user.id is None:
        return None
    grid_ids: frozenset[int] = frozenset()
    if user.role == Role.STAFF:
        rows = db.execute(sa.select(StaffGrid.grid_id).where(StaffGrid.user_id == user.id)).scalars()
        grid_ids = frozenset(rows)
    return CurrentUser(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        organization_id=user.organization_id,
        is_org_manager=user.is_org_manager,
        street_id=user.street_id,
        community_id=user.community_id,
        grid_ids=grid_ids,
        **auth,  # type: ignore[arg-type]
    )
