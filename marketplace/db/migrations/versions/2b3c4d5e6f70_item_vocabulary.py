"""item vocabulary: the street's items with synonyms and units; the item key of offers and resource lines

``item_term`` holds one row per item (a stable key, category, kind, names in Chinese and English, synonyms
and units as JSON lists; retired rather than deleted). Offers and resource lines store the key their text
resolves to when saved (``item_key``, NULL when none). The curated list (seeds/data/item_vocabulary.tsv)
is loaded here, so every database, a street's production one included, starts with a vocabulary the
admins then edit; the keys of the rows already there are resolved at the end.

Revision ID: 2b3c4d5e6f70
Revises: 1a2b3c4d5e6f
Create Date: 2026-12-02 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from marketplace.db.types import UTCDateTime, json_type

revision: str = "2b3c4d5e6f70"
down_revision: str | None = "1a2b3c4d5e6f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CATEGORIES = (
    "renovation",
    "sanitation",
    "elderly_care",
    "travel_safety",
    "culture_sports",
    "epidemic_prevention",
    "mediation",
    "livelihood",
    "education",
    "health",
)
_KINDS = ("material", "service", "venue", "funds", "expertise")


def _enum(values: tuple[str, ...], name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    item_term = op.create_table(
        "item_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("category", _enum(_CATEGORIES, "category"), nullable=False),
        sa.Column("kind", _enum(_KINDS, "resource_kind"), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("synonyms", json_type(), nullable=False),
        sa.Column("units", json_type(), nullable=False),
        sa.Column("retired_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("length(key) >= 2 AND length(key) <= 64", name="item_term_key_length"),
        sa.CheckConstraint("key = lower(key) AND replace(key, ' ', '') = key", name="item_term_key_lower"),
        sa.CheckConstraint("length(name_zh) > 0 AND length(name_en) > 0", name="item_term_names_given"),
        sa.CheckConstraint("version >= 1", name="item_term_version_positive"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_item_term_category", "item_term", ["category"], unique=False)
    # Plain nullable columns: added in place on both databases (no batch rebuild of offer or resource_line).
    op.add_column("offer", sa.Column("item_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_index("ix_offer_item_key", "offer", ["item_key"], unique=False)
    op.add_column("resource_line", sa.Column("item_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
    op.create_index("ix_resource_line_item_key", "resource_line", ["item_key"], unique=False)
    _load_curated(item_term)


def _load_curated(item_term: sa.Table) -> None:
    """The curated list as this revision ships it; existing offers and lines get their keys."""
    from datetime import UTC, datetime

    from matching.vocabulary import ItemVocabulary
    from seeds.data.item_vocabulary import CURATED_ITEMS

    now = datetime.now(UTC)
    op.bulk_insert(
        item_term,
        [
            {
                "key": e.key,
                "category": e.category,
                "kind": e.kind,
                "name_zh": e.name_zh,
                "name_en": e.name_en,
                "synonyms": list(e.synonyms),
                "units": list(e.units),
                "retired_at": None,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for e in CURATED_ITEMS
        ],
    )
    vocabulary = ItemVocabulary(CURATED_ITEMS)
    bind = op.get_bind()
    for table, texts in (("offer", ("title", "description")), ("resource_line", ("description",))):
        rows = bind.execute(sa.text(f"SELECT id, {', '.join(texts)}, category, kind, unit FROM {table}")).all()
        for row in rows:
            key = vocabulary.key_of_any([getattr(row, name) or "" for name in texts], row.category, row.kind, row.unit)
            if key:
                bind.execute(sa.text(f"UPDATE {table} SET item_key = :key WHERE id = :id"), {"key": key, "id": row.id})


def downgrade() -> None:
    op.drop_index("ix_resource_line_item_key", table_name="resource_line")
    op.execute("ALTER TABLE resource_line DROP COLUMN item_key")
    op.drop_index("ix_offer_item_key", table_name="offer")
    op.execute("ALTER TABLE offer DROP COLUMN item_key")
    op.drop_index("ix_item_term_category", table_name="item_term")
    op.drop_table("item_term")
