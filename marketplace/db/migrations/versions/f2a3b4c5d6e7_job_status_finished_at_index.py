"""job (status, finished_at): the retention prune reads the ended jobs by when they ended

``jobs.prune`` (``marketplace jobs prune``, and the schedule, now also run by the web processes without
Redis) deletes finished and failed jobs that ended before the cutoff, 500 at a time, in id order. Without
this index each batch walked ``ix_job_status_kind`` through every ended job of the table and read each row
for its ``finished_at``; with it the batch reads the old ones alone. The figures, on 200,000 jobs of which
a quarter are old: ``benchmarks/job_prune.py``, results in ``benchmarks/results/job_prune.*``.

Revision ID: f2a3b4c5d6e7
Revises: e1f2a3b4c5d6
Create Date: 2026-12-07 02:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f2a3b4c5d6e7"
down_revision: str | None = "e1f2a3b4c5d6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_job_status_finished_at", "job", ["status", "finished_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_job_status_finished_at", table_name="job")
