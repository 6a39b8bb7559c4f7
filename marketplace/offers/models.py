"""Offers: the resource list of red partners."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Column
from sqlmodel import Field, SQLModel

from marketplace.db.types import QUANTITY, UTCDateTime, enum_type, utcnow
from marketplace.i18n import N_
from marketplace.vocabulary import Category, LabelledEnum, ResourceKind, register_labels


class OfferStatus(LabelledEnum):
    ACTIVE = "active"
    EXHAUSTED = "exhausted"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


register_labels(
    "OfferStatus",
    {"active": N_("Active"), "exhausted": N_("Exhausted"), "expired": N_("Expired"), "withdrawn": N_("Withdrawn")},
)


class Offer(SQLModel, table=True):
    __table_args__ = (
        CheckConstraint("quantity > 0", name="offer_quantity_positive"),
        # The capacity invariant: never below zero, never above what was offered.
        CheckConstraint("remaining_quantity >= 0", name="offer_remaining_not_negative"),
        CheckConstraint("remaining_quantity <= quantity", name="offer_remaining_within_quantity"),
        CheckConstraint("valid_until IS NULL OR valid_until > valid_from", name="offer_valid_window"),
        CheckConstraint(
            "available_from IS NULL OR valid_until IS NULL OR available_from <= valid_until",
            name="offer_available_before_until",
        ),
        CheckConstraint("version >= 1", name="offer_version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organization_id: int = Field(foreign_key="organization.id", index=True)
    kind: ResourceKind = Field(sa_column=Column(enum_type(ResourceKind, "resource_kind"), nullable=False))
    category: Category = Field(sa_column=Column(enum_type(Category, "category"), nullable=False, index=True))
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    quantity: Decimal = Field(sa_type=QUANTITY, nullable=False)
    unit: str = Field(max_length=32)
    # The item vocabulary's key for what the offer names, resolved when saved (marketplace/items); NULL: none.
    item_key: str | None = Field(default=None, max_length=64, index=True)
    remaining_quantity: Decimal = Field(sa_type=QUANTITY, nullable=False)
    valid_from: datetime = Field(sa_type=UTCDateTime, nullable=False)
    valid_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the resource can first be used (a later start than the listing); None: from now on.
    available_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    status: OfferStatus = Field(
        default=OfferStatus.ACTIVE,
        sa_column=Column(enum_type(OfferStatus, "offer_status"), nullable=False, index=True),
    )
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class OfferGrid(SQLModel, table=True):
    """The offer's service area: the grids it can serve."""

    __tablename__ = "offer_grid"

    offer_id: int = Field(foreign_key="offer.id", primary_key=True, ondelete="CASCADE")
    grid_id: int = Field(foreign_key="grid.id", primary_key=True, index=True)
