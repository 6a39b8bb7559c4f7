"""round_schedule: a street's standing order for matching rounds (weekdays and a time on the street clock)

The scheduled sweep ``rounds.schedule`` starts each street's due round once: ``last_slot`` only moves
forward, by a conditional update, so two processes sweeping the same minute start one round.

Revision ID: b4c5d6e7f8a9
Revises: f2a3b4c5d6e7
Create Date: 2026-12-07 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import marketplace.db.types

revision: str = "b4c5d6e7f8a9"
down_revision: str | None = "f2a3b4c5d6e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN, not a batch: on SQLite a batch copies match_round and drops it, which the matches
    # and jobs that point at its rows refuse (FOREIGN KEY constraint failed) on any database holding rounds.
    op.add_column("match_round", sa.Column("scheduled", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "round_schedule",
        sa.Column("street_id", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("weekdays", sa.Integer(), nullable=False),
        sa.Column("at_minute", sa.Integer(), nullable=False),
        sa.Column(
            "method",
            sa.Enum(
                "optimal",
                "greedy",
                name="round_schedule_method",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("last_slot", marketplace.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_round_id", sa.Integer(), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", marketplace.db.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("at_minute >= 0 AND at_minute < 1440", name="round_schedule_minute_of_day"),
        sa.CheckConstraint("k >= 1 AND k <= 100", name="round_schedule_k_in_range"),
        sa.CheckConstraint("weekdays >= 0 AND weekdays < 128", name="round_schedule_weekday_bits"),
        sa.ForeignKeyConstraint(["last_round_id"], ["match_round.id"]),
        sa.ForeignKeyConstraint(["street_id"], ["street.id"]),
        sa.ForeignKeyConstraint(["updated_by_id"], ["user_account.id"]),
        sa.PrimaryKeyConstraint("street_id"),
    )


def downgrade() -> None:
    op.drop_table("round_schedule")
    op.drop_column("match_round", "scheduled")
