"""match round: a matching round's record (status, progress, figures, timings), one live at a time

Revision ID: d4e5f6a7b8c9
Revises: c7d1e2f3a4b5
Create Date: 2026-11-26 05:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

import marketplace.db.types

revision: str = "d4e5f6a7b8c9"
down_revision: str | None = "c7d1e2f3a4b5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = "status IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        "match_round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "finished",
                "failed",
                name="match_round_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "method",
            sa.Enum(
                "optimal", "greedy", name="match_round_method", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("shifts", sa.Integer(), nullable=False),
        sa.Column("line_candidates", sa.Integer(), nullable=False),
        sa.Column("shift_candidates", sa.Integer(), nullable=False),
        sa.Column("line_proposals", sa.Integer(), nullable=False),
        sa.Column("shift_proposals", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("objective", sa.Float(), nullable=True),
        sa.Column(
            "seconds", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=True
        ),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", marketplace.db.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", marketplace.db.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", marketplace.db.types.UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", marketplace.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("k >= 1 AND k <= 100", name="match_round_k_in_range"),
        sa.ForeignKeyConstraint(["started_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_match_round_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_match_round_status"), ["status"], unique=False)
        batch_op.create_index(
            "match_round_one_live",
            ["scope"],
            unique=True,
            sqlite_where=sa.text(_LIVE),
            postgresql_where=sa.text(_LIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table("match_round", schema=None) as batch_op:
        batch_op.drop_index("match_round_one_live", sqlite_where=sa.text(_LIVE), postgresql_where=sa.text(_LIVE))
        batch_op.drop_index(batch_op.f("ix_match_round_status"))
        batch_op.drop_index(batch_op.f("ix_match_round_created_at"))
    op.drop_table("match_round")
