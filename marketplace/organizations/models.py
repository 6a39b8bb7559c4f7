"""Red partners: enterprises, institutions, social and party organizations."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, enum_type, utcnow
from marketplace.i18n import N_, NC_
from marketplace.vocabulary import LabelledEnum, register_labels


class OrganizationKind(LabelledEnum):
    ENTERPRISE = "enterprise"
    INSTITUTION = "institution"
    SOCIAL_ORGANIZATION = "social_organization"
    PARTY_ORGANIZATION = "party_organization"


class OrganizationStatus(LabelledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


register_labels(
    "OrganizationKind",
    {
        "enterprise": N_("Enterprise"),
        "institution": N_("Public institution"),
        "social_organization": N_("Social organization"),
        "party_organization": N_("Party organization"),
    },
)
register_labels(
    "OrganizationStatus",
    {
        "pending": N_("Pending"),
        "approved": NC_("organization status", "Approved"),  # 审核通过: an organization is vetted, not 批准
        "rejected": N_("Rejected"),
        "suspended": N_("Suspended"),
    },
)


class Organization(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("length(credit_code) = 18", name="organization_credit_code_length"),
        CheckConstraint(
            "status NOT IN ('rejected', 'suspended') OR status_reason IS NOT NULL",
            name="organization_reason_required",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    street_id: int = Field(foreign_key="street.id", index=True)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    kind: OrganizationKind = Field(sa_column=Column(enum_type(OrganizationKind, "organization_kind"), nullable=False))
    credit_code: str = Field(max_length=18, unique=True)
    contact_name: str = Field(max_length=100)
    contact_phone: str = Field(max_length=32)
    address: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=2000)
    status: OrganizationStatus = Field(
        default=OrganizationStatus.PENDING,
        sa_column=Column(enum_type(OrganizationStatus, "organization_status"), nullable=False, index=True),
    )
    status_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    approved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OrganizationGrid(SQLModel, table=True):
    """Grids an organization serves."""

    __tablename__ = "organization_grid"

    organization_id: int = Field(foreign_key="organization.id", primary_key=True, ondelete="CASCADE")
    grid_id: int = Field(foreign_key="grid.id", primary_key=True, index=True)
