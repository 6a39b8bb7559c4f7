"""jobs: a row per background job (matching rounds, training, sweeps): status, progress, attempts, claim

The row is the truth the pages read; SAQ on Redis (or a thread of the web process) carries the work.
A worker claims a job by a conditional UPDATE on this row, so a job never runs twice (docs/jobs.md).

Revision ID: 3c4d5e6f7081
Revises: 2b3c4d5e6f70
Create Date: 2026-12-03 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from marketplace.db.types import UTCDateTime, json_type

revision: str = "3c4d5e6f7081"
down_revision: str | None = "2b3c4d5e6f70"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("arguments", json_type(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "finished",
                "failed",
                name="job_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("result", json_type(), nullable=True),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("claimed_by", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=True),
        sa.CheckConstraint("length(kind) > 0", name="job_kind_not_empty"),
        sa.CheckConstraint("done >= 0 AND total >= 0", name="job_progress_not_negative"),
        sa.CheckConstraint("attempts >= 0 AND attempts <= max_attempts", name="job_attempts_in_range"),
        sa.CheckConstraint("max_attempts >= 1 AND max_attempts <= 20", name="job_max_attempts_in_range"),
        sa.CheckConstraint("status <> 'failed' OR error IS NOT NULL", name="job_failed_has_error"),
        sa.CheckConstraint(
            "status NOT IN ('finished', 'failed') OR finished_at IS NOT NULL", name="job_ended_has_finished_at"
        ),
        sa.ForeignKeyConstraint(["started_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    op.create_index("ix_job_created_at", "job", ["created_at"], unique=False)
    op.create_index("ix_job_status_kind", "job", ["status", "kind"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_status_kind", table_name="job")
    op.drop_index("ix_job_created_at", table_name="job")
    op.drop_table("job")
