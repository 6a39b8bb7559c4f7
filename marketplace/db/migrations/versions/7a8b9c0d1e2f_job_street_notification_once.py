"""job street and notification once-key: a job's street (street-scoped /admin/jobs), and a key that lets a
notification be sent only once (shift reminders per sign-up and start, digests per user and day)

Revision ID: 7a8b9c0d1e2f
Revises: 6f708192a3b4
Create Date: 2026-12-03 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "7a8b9c0d1e2f"
down_revision: str | None = "6f708192a3b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("job") as batch:
        batch.add_column(sa.Column("street_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_job_street_id_street", "street", ["street_id"], ["id"])
        batch.create_index("ix_job_street_id", ["street_id"], unique=False)
    with op.batch_alter_table("notification") as batch:
        batch.add_column(sa.Column("once_key", sqlmodel.sql.sqltypes.AutoString(length=160), nullable=True))
        batch.create_unique_constraint("uq_notification_once_key", ["once_key"])


def downgrade() -> None:
    with op.batch_alter_table("notification") as batch:
        batch.drop_constraint("uq_notification_once_key", type_="unique")
        batch.drop_column("once_key")
    with op.batch_alter_table("job") as batch:
        batch.drop_index("ix_job_street_id")
        batch.drop_constraint("fk_job_street_id_street", type_="foreignkey")
        batch.drop_column("street_id")
