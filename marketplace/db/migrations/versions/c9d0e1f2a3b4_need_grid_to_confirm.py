"""need.grid_to_confirm: a resident's report without the grid, until staff set it

A resident reporting a need may know only the community, or neither: the need is filed under a grid of that
community (or street) as a stand-in and marked, so grid staff see it once the grid is set and the street's
staff know to set it.

Revision ID: c9d0e1f2a3b4
Revises: b8c9d0e1f2a3
Create Date: 2026-12-06 15:20:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c9d0e1f2a3b4"
down_revision: str | None = "b8c9d0e1f2a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column with its named CHECK: ALTER TABLE ADD COLUMN on both databases, no table rebuild.
    op.execute(
        "ALTER TABLE need ADD COLUMN grid_to_confirm VARCHAR(32) "
        "CONSTRAINT grid_to_confirm CHECK (grid_to_confirm IN ('community', 'street'))"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE need DROP COLUMN grid_to_confirm")
