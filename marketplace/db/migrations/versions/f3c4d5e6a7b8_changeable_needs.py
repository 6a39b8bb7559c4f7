"""changeable needs: a line closed as enough, a cancelled shift, a round proposal's acceptance and its round

Staff change a published need: a resource line can be closed as "enough" (部分办结) with a reason,
a shift cancelled with a reason. A matching round's proposal is an offer to the partner or volunteer,
who accepts it (accepted_at) or declines it before an admin may approve it.

Revision ID: f3c4d5e6a7b8
Revises: e7a1b2c3d4f5
Create Date: 2026-12-02 09:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketplace.db.types import UTCDateTime

revision: str = "f3c4d5e6a7b8"
down_revision: str | None = "e7a1b2c3d4f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain nullable columns: ALTER TABLE ADD COLUMN on both databases, no table rebuild.
    op.add_column("resource_line", sa.Column("closed_at", UTCDateTime(), nullable=True))
    op.add_column("resource_line", sa.Column("closed_reason", sa.String(length=500), nullable=True))
    op.add_column("shift", sa.Column("cancelled_at", UTCDateTime(), nullable=True))
    op.add_column("shift", sa.Column("cancel_reason", sa.String(length=500), nullable=True))
    op.add_column("match", sa.Column("accepted_at", UTCDateTime(), nullable=True))
    # Which round proposed it, so the review queue can show one round's proposals.
    # In place on both (an inline REFERENCES is what SQLite allows): a batch rebuild of match would
    # drop a table that sign-ups refer to.
    op.execute("ALTER TABLE match ADD COLUMN round_id INTEGER REFERENCES match_round (id)")
    op.create_index("ix_match_round_id", "match", ["round_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_match_round_id", table_name="match")
    op.execute("ALTER TABLE match DROP COLUMN round_id")
    op.execute("ALTER TABLE match DROP COLUMN accepted_at")
    op.execute("ALTER TABLE shift DROP COLUMN cancel_reason")
    op.execute("ALTER TABLE shift DROP COLUMN cancelled_at")
    op.execute("ALTER TABLE resource_line DROP COLUMN closed_reason")
    op.execute("ALTER TABLE resource_line DROP COLUMN closed_at")
