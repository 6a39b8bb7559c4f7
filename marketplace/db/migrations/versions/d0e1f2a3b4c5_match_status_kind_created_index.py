"""match (status, kind, created_at): the admins' home counts read the index alone

The home page counts the review queue's pending matches per kind and by age (matches.summaries.review_queue,
one grouped query). A city admin's count covers every street, so it walked the status index and then each
pending row for its kind and date. On a 100-street city (27,607 pending, SQLite) the grouped count took 21.5 ms
searching the status index and sorting for the grouping, 4.6 ms reading this covering index alone (the whole
home-page count: 62 -> 11 ms).

Revision ID: d0e1f2a3b4c5
Revises: c9d0e1f2a3b4
Create Date: 2026-12-06 16:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d0e1f2a3b4c5"
down_revision: str | None = "c9d0e1f2a3b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_match_status_kind_created_at", "match", ["status", "kind", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_match_status_kind_created_at", table_name="match")
