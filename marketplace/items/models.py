"""The item vocabulary's table: one row per item, with its synonyms, units and the phrases that are not it;
retired rather than deleted."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, text
from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, enum_type, json_type, utcnow
from marketplace.vocabulary import Category, ResourceKind

KEY_MAX = 64
NAME_MAX = 100


class ItemTerm(SQLModel, table=True):
    """An item offers and resource lines can be of (``matching.vocabulary.ItemEntry`` as stored).

    The key is stable: offers and lines store it (``item_key``), so it is never renamed and a row is never
    deleted; a retired item no longer resolves, and what named it resolves to another item or none.
    """

    __tablename__ = "item_term"
    __table_args__ = (
        # Lower-case letters, digits and _ (the form checks the pattern; the database the parts it can).
        CheckConstraint("length(key) >= 2 AND length(key) <= 64", name="item_term_key_length"),
        CheckConstraint("key = lower(key) AND replace(key, ' ', '') = key", name="item_term_key_lower"),
        CheckConstraint("length(name_zh) > 0 AND length(name_en) > 0", name="item_term_names_given"),
        CheckConstraint("version >= 1", name="item_term_version_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=KEY_MAX, unique=True)
    category: Category = Field(sa_column=Column(enum_type(Category, "category"), nullable=False, index=True))
    kind: ResourceKind = Field(sa_column=Column(enum_type(ResourceKind, "resource_kind"), nullable=False))
    name_zh: str = Field(max_length=NAME_MAX)
    name_en: str = Field(max_length=NAME_MAX)
    synonyms: list[str] = Field(default_factory=list, sa_type=json_type(), nullable=False)
    units: list[str] = Field(default_factory=list, sa_type=json_type(), nullable=False)
    # Phrases that hold a synonym and are not the item (拳击手套 for gloves, "gold bricks" for bricks).
    exclusions: list[str] = Field(
        default_factory=list, sa_type=json_type(), nullable=False, sa_column_kwargs={"server_default": text("'[]'")}
    )
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
