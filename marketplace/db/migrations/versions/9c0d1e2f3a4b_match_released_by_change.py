"""match released by a change: a proposed claim released because its need changed is no admin's verdict

A claim the line no longer needs after staff lower it or close it as enough is stored rejected with the
change's reason (what the partner is told), so only this flag tells it from an admin's rejection; the
learned ranker's training leaves such claims out. Claims released before this revision are found in the
audit log (each line change or closure lists the claims it released) and flagged.

Revision ID: 9c0d1e2f3a4b
Revises: 8b9c0d1e2f3a
Create Date: 2026-12-05 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from marketplace.db.types import json_type

revision: str = "9c0d1e2f3a4b"
down_revision: str | None = "8b9c0d1e2f3a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHANGES = ("need.line.change", "need.line.close")
_CHUNK = 500

_audit = sa.table("audit_event", sa.column("action", sa.String()), sa.column("after", json_type()))
_match = sa.table(
    "match", sa.column("id", sa.Integer()), sa.column("status", sa.String()), sa.column("released_by_change")
)


def upgrade() -> None:
    # Plain ADD COLUMN (with a default) on both databases: a batch on SQLite would copy match and drop the
    # original, which the rows that reference it forbid.
    op.add_column("match", sa.Column("released_by_change", sa.Boolean(), server_default=sa.false(), nullable=False))
    bind = op.get_bind()
    released: set[int] = set()
    for (after,) in bind.execute(sa.select(_audit.c.after).where(_audit.c.action.in_(_CHANGES))):
        released.update(int(match_id) for match_id in (after or {}).get("claims_released") or [])
    ids = sorted(released)
    for start in range(0, len(ids), _CHUNK):
        bind.execute(
            _match.update()
            .where(_match.c.id.in_(ids[start : start + _CHUNK]), _match.c.status == "rejected")
            .values(released_by_change=sa.true())
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason as above.
    op.drop_column("match", "released_by_change")
