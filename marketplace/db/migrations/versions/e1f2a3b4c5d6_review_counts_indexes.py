"""review counts' indexes: shift (id, starts_at, ends_at) for the overlap probe, match (status, round_id) for the rounds

The city admin's review counts ask, for each of the ~20,300 pending sign-ups of a 100-street city, whether
the volunteer holds a slot on another shift overlapping it (``inbox._conflict_conditions``): one lookup in
``ix_shift_signup_volunteer_status_shift``, then one of the held shift by id for its times. With this index
PostgreSQL answers that second lookup from the index alone (an index-only scan, 2 buffers instead of 3-4
with the heap); with the table's pages all visible (VACUUM, which seeding now runs) the counts touch 114,000
shared buffers instead of 158,000, and the page's ids 12,300 instead of 14,100 (the shifts' times for the
sort read from it too). SQLite reaches a shift by its rowid and ignores the index; it is kept on both so
the schema is the same (one row per shift, rarely updated).

The counts per matching round ask for the pending matches that came from a round (``status = 'proposed' AND
round_id IS NOT NULL``). SQLite, which has no statistics, walked the status index through every pending
item of the city (27,607) and joined each with its need, offer, line and shift to find none: 68 ms of the
city admin's every review page (250 ms under load). With (status, round_id) it reads the pending round
proposals alone: 0.07 ms. PostgreSQL already found them through ``ix_match_round_id`` (0.03 ms), and on a
database with a year of rounds the new index keeps it from walking every decided proposal.

Revision ID: e1f2a3b4c5d6
Revises: d0e1f2a3b4c5
Create Date: 2026-12-06 22:45:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e1f2a3b4c5d6"
down_revision: str | None = "d0e1f2a3b4c5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_shift_id_starts_at_ends_at", "shift", ["id", "starts_at", "ends_at"], unique=False)
    op.create_index("ix_match_status_round_id", "match", ["status", "round_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_match_status_round_id", table_name="match")
    op.drop_index("ix_shift_id_starts_at_ends_at", table_name="shift")
