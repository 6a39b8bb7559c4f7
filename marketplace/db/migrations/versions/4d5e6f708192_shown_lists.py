"""shown lists: the impression log of explored recommendation lists (recommend/models.py)

Revision ID: 4d5e6f708192
Revises: 3c4d5e6f7081
Create Date: 2026-12-03 08:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from marketplace.db.types import UTCDateTime, json_type

revision: str = "4d5e6f708192"
down_revision: str | None = "3c4d5e6f7081"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shown_list",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column("part_id", sa.Integer(), nullable=False),
        sa.Column("candidate_ids", json_type(), nullable=False),
        sa.Column("explored_slot", sa.Integer(), nullable=False),
        sa.Column("explored_candidate_id", sa.Integer(), nullable=False),
        sa.Column("scorer", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("shown_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('offers', 'volunteers')", name="shown_list_kind_known"),
        sa.CheckConstraint("explored_slot >= 0 AND explored_slot < 100", name="shown_list_explored_slot_in_range"),
        sa.CheckConstraint("part_id >= 1", name="shown_list_part_id_positive"),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_shown_list_need_id", "shown_list", ["need_id"], unique=False)
    op.create_index("ix_shown_list_explored_candidate_id", "shown_list", ["explored_candidate_id"], unique=False)
    op.create_index("ix_shown_list_shown_at", "shown_list", ["shown_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_shown_list_shown_at", table_name="shown_list")
    op.drop_index("ix_shown_list_explored_candidate_id", table_name="shown_list")
    op.drop_index("ix_shown_list_need_id", table_name="shown_list")
    op.drop_table("shown_list")
