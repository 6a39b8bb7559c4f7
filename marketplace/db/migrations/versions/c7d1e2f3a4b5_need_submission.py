"""need submissions: public need form submissions by client address (rate limit)

Revision ID: c7d1e2f3a4b5
Revises: b1c2d3e4f5a6
Create Date: 2026-11-26 04:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import marketplace.db.types

revision: str = "c7d1e2f3a4b5"
down_revision: str | None = "b1c2d3e4f5a6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "need_submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("submitted_at", marketplace.db.types.UTCDateTime(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("need_submission", schema=None) as batch_op:
        batch_op.create_index("need_submission_by_address", ["client_address", "submitted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("need_submission", schema=None) as batch_op:
        batch_op.drop_index("need_submission_by_address")
    op.drop_table("need_submission")
