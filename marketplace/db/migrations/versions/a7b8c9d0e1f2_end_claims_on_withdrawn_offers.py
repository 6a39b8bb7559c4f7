"""end claims on withdrawn offers: what waited on an offer its partner had withdrawn ends, as it now does then

Withdrawing an offer now ends the claims and proposals still waiting on it (``matches.services.
end_waiting_on_offer``): an admin can never approve them (approval needs an active offer). Rows left
waiting by earlier withdrawals end here the same way (cancelled, reason "the offer was withdrawn"). They
reserved nothing, so no quantity moves; approved claims stay.

Revision ID: a7b8c9d0e1f2
Revises: f6a7b8c9d0e1
Create Date: 2026-12-06 12:50:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "a7b8c9d0e1f2"
down_revision: str | None = "f6a7b8c9d0e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OFFER_WITHDRAWN = "the offer was withdrawn"  # matches.reasons.OFFER_WITHDRAWN, copied: a migration stays as written


def upgrade() -> None:
    match = sa.table(
        "match",
        sa.column("status", sa.String),
        sa.column("offer_id", sa.Integer),
        sa.column("decision_reason", sa.String),
        sa.column("decided_at", sa.DateTime(timezone=True)),
    )
    offer = sa.table("offer", sa.column("id", sa.Integer), sa.column("status", sa.String))
    withdrawn = sa.select(offer.c.id).where(offer.c.status == "withdrawn")
    op.execute(
        match.update()
        .where(match.c.status == "proposed", match.c.offer_id.in_(withdrawn))
        .values(status="cancelled", decision_reason=OFFER_WITHDRAWN, decided_at=datetime.now(UTC))
    )


def downgrade() -> None:
    pass  # ended claims stay ended: nothing could approve them
