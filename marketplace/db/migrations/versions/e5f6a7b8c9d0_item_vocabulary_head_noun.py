"""item vocabulary: a synonym counts only as the head of what a text names; keys resolved again

The resolver (``matching.vocabulary``) now takes a synonym only where it heads its phrase: a noun before a
one-word English synonym makes it another thing ("flower bulbs" are no light bulbs, "boxing gloves" no work
gloves), a noun after a synonym makes the synonym a modifier ("sand bags" are no sand, 手套箱 is a glove box),
and a few curated phrases are not the item (拳击手套, "gold bricks"). Its plural rule now reads "caches" as
"cache" and "tomatoes" as "tomato". Keys stored before may name an item their text does not: this revision
resolves every offer's and line's key again with the live items and the new rule (only changed rows written).
The items themselves are unchanged.

Revision ID: e5f6a7b8c9d0
Revises: c3d4e5f6a7b8
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketplace.db.types import UTCDateTime, json_type

revision: str = "e5f6a7b8c9d0"
down_revision: str | None = "c3d4e5f6a7b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ITEM_TERM = sa.table(
    "item_term",
    sa.column("id", sa.Integer()),
    sa.column("key", sa.String()),
    sa.column("category", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("name_zh", sa.String()),
    sa.column("name_en", sa.String()),
    sa.column("synonyms", json_type()),
    sa.column("units", json_type()),
    sa.column("retired_at", UTCDateTime()),
)


# The curated phrases that were not the item at this revision (then ``matching.vocabulary.NOT_THE_ITEM``; since
# revision b8c9d0e1f2a3 the column item_term.exclusions, which admins edit).
_NOT_THE_ITEM: dict[str, tuple[str, ...]] = {
    "work_gloves": ("拳击手套", "滑雪手套", "棒球手套"),
    "brick": ("gold brick", "金砖", "砖茶"),
    "electric_wire": ("barbed wire", "steel wire"),
    "desks": ("high chair",),
}


def upgrade() -> None:
    from matching.vocabulary import ItemEntry, ItemVocabulary

    bind = op.get_bind()
    terms = bind.execute(sa.select(_ITEM_TERM).where(_ITEM_TERM.c.retired_at.is_(None)).order_by(_ITEM_TERM.c.id))
    vocabulary = ItemVocabulary(
        ItemEntry(
            t.key,
            t.category,
            t.kind,
            t.name_zh,
            t.name_en,
            tuple(t.synonyms),
            tuple(t.units),
            _NOT_THE_ITEM.get(t.key, ()),
        )
        for t in terms
    )
    for table, texts in (("offer", ("title", "description")), ("resource_line", ("description",))):
        rows = bind.execute(sa.text(f"SELECT id, {', '.join(texts)}, category, kind, unit, item_key FROM {table}"))
        for row in rows.all():
            texts_of = [getattr(row, name) or "" for name in texts]
            key = vocabulary.key_of_any(texts_of, row.category, row.kind, row.unit) or None
            if key != row.item_key:
                bind.execute(sa.text(f"UPDATE {table} SET item_key = :key WHERE id = :id"), {"key": key, "id": row.id})


def downgrade() -> None:
    # Keys are derived data: the previous rule's keys are not restored (an edit or `marketplace items
    # reresolve` on the older code would bring them back).
    pass
