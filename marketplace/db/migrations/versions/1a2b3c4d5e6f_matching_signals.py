"""matching signals: volunteer interests, an offer's start date, an imported reliability rate, explored matches

A volunteer names the need categories they want to work in (volunteer_interest); an offer may start later
than it is listed (available_from, never after valid_until); a volunteer's completion rate from another
system's records (reliability_rate, 0..1); a match shown in a list with one randomised slot (explored).

Revision ID: 1a2b3c4d5e6f
Revises: a9b8c7d6e5f4
Create Date: 2026-12-02 16:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketplace.db.types import UTCDateTime

revision: str = "1a2b3c4d5e6f"
down_revision: str | None = "a9b8c7d6e5f4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CATEGORIES = (
    "renovation",
    "sanitation",
    "elderly_care",
    "travel_safety",
    "culture_sports",
    "epidemic_prevention",
    "mediation",
    "livelihood",
    "education",
    "health",
)
_AVAILABLE = "available_from IS NULL OR valid_until IS NULL OR available_from <= valid_until"
_RATE = "reliability_rate IS NULL OR (reliability_rate >= 0 AND reliability_rate <= 1)"


def upgrade() -> None:
    op.create_table(
        "volunteer_interest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(*_CATEGORIES, name="category", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer_profile.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("volunteer_id", "category"),
    )
    op.create_index("ix_volunteer_interest_volunteer_id", "volunteer_interest", ["volunteer_id"], unique=False)
    # Columns added in place on both databases: a batch rebuild of offer, match or volunteer_profile would
    # drop tables other rows refer to (offer_grid cascades). SQLite takes a named CHECK only inline.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE offer ADD COLUMN available_from DATETIME "
            f"CONSTRAINT offer_available_before_until CHECK ({_AVAILABLE})"
        )
        op.execute(
            "ALTER TABLE volunteer_profile ADD COLUMN reliability_rate FLOAT "
            f"CONSTRAINT volunteer_reliability_rate_range CHECK ({_RATE})"
        )
    else:
        op.add_column("offer", sa.Column("available_from", UTCDateTime(), nullable=True))
        op.create_check_constraint("offer_available_before_until", "offer", _AVAILABLE)
        op.add_column("volunteer_profile", sa.Column("reliability_rate", sa.Float(), nullable=True))
        op.create_check_constraint("volunteer_reliability_rate_range", "volunteer_profile", _RATE)
    op.add_column("match", sa.Column("explored", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.execute("ALTER TABLE match DROP COLUMN explored")
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint("volunteer_reliability_rate_range", "volunteer_profile", type_="check")
        op.drop_constraint("offer_available_before_until", "offer", type_="check")
    # On SQLite each CHECK is the column's own (inline), so DROP COLUMN takes it along.
    op.execute("ALTER TABLE volunteer_profile DROP COLUMN reliability_rate")
    op.execute("ALTER TABLE offer DROP COLUMN available_from")
    op.drop_index("ix_volunteer_interest_volunteer_id", table_name="volunteer_interest")
    op.drop_table("volunteer_interest")
