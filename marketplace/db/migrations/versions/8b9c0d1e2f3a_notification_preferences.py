"""notification preferences: each person may turn shift reminders and the daily digest off

Revision ID: 8b9c0d1e2f3a
Revises: 7a8b9c0d1e2f
Create Date: 2026-12-03 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8b9c0d1e2f3a"
down_revision: str | None = "7a8b9c0d1e2f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (with a default) on both databases: a batch on SQLite would copy user_account and
    # drop the original, which the rows that reference it forbid.
    op.add_column("user_account", sa.Column("shift_reminders", sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column("user_account", sa.Column("daily_digest", sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason as above.
    op.drop_column("user_account", "daily_digest")
    op.drop_column("user_account", "shift_reminders")
