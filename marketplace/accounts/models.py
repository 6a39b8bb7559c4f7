"""Users and their roles; staff scope by community or by grids."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, text, true
from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, enum_type, utcnow
from marketplace.i18n import N_
from marketplace.vocabulary import LabelledEnum, register_labels


class Role(LabelledEnum):
    ADMIN = "admin"
    STAFF = "staff"
    PARTNER = "partner"
    VOLUNTEER = "volunteer"


register_labels(
    "Role",
    {"admin": N_("Admin"), "staff": N_("Staff"), "partner": N_("Partner"), "volunteer": N_("Volunteer")},
)


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (
        # A partner always belongs to an organization; nobody else does through this column.
        CheckConstraint(
            "(role = 'partner') = (organization_id IS NOT NULL)", name="user_account_partner_has_organization"
        ),
        CheckConstraint("is_org_manager = false OR role = 'partner'", name="user_account_manager_is_partner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    display_name: str = Field(max_length=100, index=True)  # the volunteer directory sorts by name
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=32)
    password_hash: str | None = Field(default=None, max_length=255)
    role: Role = Field(sa_column=Column(enum_type(Role, "role"), nullable=False, index=True))
    is_active: bool = True
    organization_id: int | None = Field(default=None, foreign_key="organization.id", index=True)
    is_org_manager: bool = False
    street_id: int | None = Field(default=None, foreign_key="street.id", index=True)
    community_id: int | None = Field(default=None, foreign_key="community.id", index=True)
    preferred_locale: str | None = Field(default=None, max_length=8)
    # What the notification centre may send on its own: shift reminders and the daily digest (both on by default).
    shift_reminders: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    daily_digest: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    # Mixed into the key of a volunteer's calendar feed address; each reset adds one, so the old address opens nothing.
    calendar_feed_generation: int = Field(default=0, sa_column_kwargs={"server_default": text("0")})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_login_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class StaffGrid(SQLModel, table=True):
    """Grids a grid worker is scoped to (a community worker is scoped through ``community_id``)."""

    __tablename__ = "staff_grid"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True, ondelete="CASCADE")
    grid_id: int = Field(foreign_key="grid.id", primary_key=True, index=True)
