"""service certificates: certificates of service hours and their verification codes (recognition/models.py)

Revision ID: 6f708192a3b4
Revises: 5e6f70819203
Create Date: 2026-12-03 14:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

from marketplace.db.types import QUANTITY, UTCDateTime

revision: str = "6f708192a3b4"
down_revision: str | None = "5e6f70819203"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "service_certificate",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("holder_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("street_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("street_name_en", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("hours", QUANTITY, nullable=False),
        sa.Column("shifts", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=True),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("issued_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("hours >= 0", name="service_certificate_hours_not_negative"),
        sa.CheckConstraint("shifts >= 0", name="service_certificate_shifts_not_negative"),
        sa.CheckConstraint("length(code) = 12", name="service_certificate_code_length"),
        sa.CheckConstraint(
            "first_day IS NULL OR last_day IS NULL OR first_day <= last_day", name="service_certificate_period_order"
        ),
        sa.ForeignKeyConstraint(["volunteer_id"], ["volunteer_profile.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_index("ix_service_certificate_volunteer_id", "service_certificate", ["volunteer_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_service_certificate_volunteer_id", table_name="service_certificate")
    op.drop_table("service_certificate")
