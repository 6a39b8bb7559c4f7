"""item vocabulary: the phrases that are not an item become data admins edit (item_term.exclusions)

The nine curated phrases a rule cannot tell (拳击手套 is no work glove, "gold bricks" no bricks, "barbed wire"
no electrical wire, "high chair" no school chair) were a constant of the resolver. Each item now lists its own
(``exclusions``, a JSON list like its synonyms) and admins add and remove them on /admin/items. This revision
adds the column (empty for every item) and moves the nine phrases into the rows of their items, where those
items exist (retired ones too: a restored item keeps them); a phrase the admins made one of the item's own
synonyms meanwhile is left out, as the pages would refuse it. The keys stored so far were resolved with these
phrases already; they are resolved again with the stored vocabulary (only changed rows written) so a key never
disagrees with the vocabulary it came from.

Revision ID: b8c9d0e1f2a3
Revises: a7b8c9d0e1f2
Create Date: 2026-12-06 15:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketplace.db.types import UTCDateTime, json_type

revision: str = "b8c9d0e1f2a3"
down_revision: str | None = "a7b8c9d0e1f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# matching.vocabulary.NOT_THE_ITEM as it was, copied: a migration stays as written.
CURATED: dict[str, tuple[str, ...]] = {
    "work_gloves": ("拳击手套", "滑雪手套", "棒球手套"),
    "brick": ("gold brick", "金砖", "砖茶"),
    "electric_wire": ("barbed wire", "steel wire"),
    "desks": ("high chair",),
}

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
    sa.column("exclusions", json_type()),
    sa.column("retired_at", UTCDateTime()),
)


def upgrade() -> None:
    # A server default fills the rows there are on both databases (no batch rebuild of item_term).
    op.add_column("item_term", sa.Column("exclusions", json_type(), nullable=False, server_default=sa.text("'[]'")))
    bind = op.get_bind()
    _move_curated(bind)
    _reresolve(bind)


def _move_curated(bind: sa.Connection) -> None:
    from matching.vocabulary import normal

    rows = bind.execute(
        sa.select(_ITEM_TERM.c.id, _ITEM_TERM.c.key, _ITEM_TERM.c.name_zh, _ITEM_TERM.c.name_en, _ITEM_TERM.c.synonyms)
        .where(_ITEM_TERM.c.key.in_(list(CURATED)))
        .order_by(_ITEM_TERM.c.id)
    ).all()
    for row in rows:
        own = {normal(text) for text in (row.name_zh, row.name_en, *(row.synonyms or []))}
        phrases = [phrase for phrase in CURATED[row.key] if normal(phrase) not in own]
        bind.execute(sa.update(_ITEM_TERM).where(_ITEM_TERM.c.id == row.id).values(exclusions=phrases))


def _reresolve(bind: sa.Connection) -> None:
    from matching.vocabulary import ItemEntry, ItemVocabulary

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
            tuple(t.exclusions or ()),
        )
        for t in terms
    )
    for table, texts in (("offer", ("title", "description")), ("resource_line", ("description",))):
        rows = bind.execute(sa.text(f"SELECT id, {', '.join(texts)}, category, kind, unit, item_key FROM {table}"))
        for row in rows.all():
            key = vocabulary.key_of_any([getattr(row, name) or "" for name in texts], row.category, row.kind, row.unit)
            if (key or None) != row.item_key:
                bind.execute(
                    sa.text(f"UPDATE {table} SET item_key = :key WHERE id = :id"), {"key": key or None, "id": row.id}
                )


def downgrade() -> None:
    # The phrases an admin added are lost with the column; the older code lists the nine curated ones itself.
    with op.batch_alter_table("item_term") as batch:
        batch.drop_column("exclusions")
