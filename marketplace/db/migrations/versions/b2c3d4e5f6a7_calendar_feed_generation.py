"""calendar feed generation: a volunteer may reset their calendar feed's address, the old one then opens nothing

A plain ADD COLUMN with a default of 0 on both databases: generation 0 signs the address as before, so every
address already subscribed keeps working until its volunteer resets it.

Revision ID: b2c3d4e5f6a7
Revises: a1d2e3f4b5c6
Create Date: 2026-12-06 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b2c3d4e5f6a7"
down_revision: str | None = "a1d2e3f4b5c6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (not a batch): a batch on SQLite would copy user_account, which the rows that reference
    # it forbid.
    op.add_column(
        "user_account",
        sa.Column("calendar_feed_generation", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason.
    op.drop_column("user_account", "calendar_feed_generation")
