"""many streets: volunteers serving other streets, rounds per street

Revision ID: 5e6f70819203
Revises: 4d5e6f708192
Create Date: 2026-12-03 13:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketplace.db.types import UTCDateTime

revision: str = "5e6f70819203"
down_revision: str | None = "4d5e6f708192"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "volunteer_street",
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer_profile.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["street_id"], ["street.id"]),
        sa.PrimaryKeyConstraint("volunteer_id", "street_id"),
    )
    op.create_index("ix_volunteer_street_street_id", "volunteer_street", ["street_id"], unique=False)
    with op.batch_alter_table("match_round") as batch:
        batch.add_column(sa.Column("street_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_match_round_street_id_street", "street", ["street_id"], ["id"])
        batch.create_index("ix_match_round_street_id", ["street_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("match_round") as batch:
        batch.drop_index("ix_match_round_street_id")
        batch.drop_constraint("fk_match_round_street_id_street", type_="foreignkey")
        batch.drop_column("street_id")
    op.drop_index("ix_volunteer_street_street_id", table_name="volunteer_street")
    op.drop_table("volunteer_street")
