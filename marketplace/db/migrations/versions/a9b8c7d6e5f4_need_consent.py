"""need consent: the resident's consent that partners and volunteers on the need see their contact

Staff record how it was obtained (oral, written, by phone) with an optional note, and may withdraw it;
withdrawn records stay as history, at most one live record per need.

Revision ID: a9b8c7d6e5f4
Revises: f3c4d5e6a7b8
Create Date: 2026-12-02 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import marketplace.db.types

revision: str = "a9b8c7d6e5f4"
down_revision: str | None = "f3c4d5e6a7b8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = "withdrawn_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "need_consent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.Integer(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "oral", "written", "phone", name="consent_method", native_enum=False, create_constraint=True, length=32
            ),
            nullable=False,
        ),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", marketplace.db.types.UTCDateTime(), nullable=False),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", marketplace.db.types.UTCDateTime(), nullable=True),
        sa.Column("withdrawn_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint("withdrawn_at IS NULL OR withdrawn_at >= recorded_at", name="need_consent_withdrawn_after"),
        sa.ForeignKeyConstraint(["need_id"], ["need.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"]),
        sa.ForeignKeyConstraint(["withdrawn_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("need_consent", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_need_consent_need_id"), ["need_id"], unique=False)
        batch_op.create_index(
            "need_consent_one_live",
            ["need_id"],
            unique=True,
            sqlite_where=sa.text(_LIVE),
            postgresql_where=sa.text(_LIVE),
        )


def downgrade() -> None:
    with op.batch_alter_table("need_consent", schema=None) as batch_op:
        batch_op.drop_index("need_consent_one_live")
        batch_op.drop_index(batch_op.f("ix_need_consent_need_id"))
    op.drop_table("need_consent")
