"""need board order: a computed sort key (board_rank) and an index in the board's order

The public board sorted every public need on computed expressions for each page; with the key
computed by the database and indexed, the first page is read from the index.

Revision ID: e7a1b2c3d4f5
Revises: d4e5f6a7b8c9
Create Date: 2026-12-02 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7a1b2c3d4f5"
down_revision: str | None = "d4e5f6a7b8c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy of marketplace.needs.models.BOARD_RANK_SQL as it was when this migration was written.
_BOARD_RANK_SQL = (
    "CASE WHEN status IN ('published', 'partially_matched', 'matched', 'in_progress') THEN 0"
    " WHEN status IN ('completed', 'verified') THEN 100 END"
    " + CASE urgency WHEN 'critical' THEN 0 WHEN 'high' THEN 10 WHEN 'normal' THEN 20 WHEN 'low' THEN 30 ELSE 90 END"
    " + CASE WHEN due_date IS NULL THEN 1 ELSE 0 END"
)


def upgrade() -> None:
    # SQLite adds only VIRTUAL generated columns to an existing table (and indexes them as well);
    # PostgreSQL before 18 has only STORED ones.
    stored = op.get_bind().dialect.name != "sqlite"
    op.add_column("need", sa.Column("board_rank", sa.Integer(), sa.Computed(_BOARD_RANK_SQL, persisted=stored)))
    op.create_index(
        "ix_need_board_order",
        "need",
        ["board_rank", "due_date", sa.text("created_at DESC"), sa.text("id DESC")],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_need_board_order", table_name="need")
    # In place on both (SQLite 3.35+): a batch rebuild of need would drop a table others refer to.
    op.execute("ALTER TABLE need DROP COLUMN board_rank")
