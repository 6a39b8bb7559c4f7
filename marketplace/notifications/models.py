"""In-app notifications, grouped into digests by ``digest_key``."""

from datetime import datetime
from typing import Any

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, json_type, utcnow


class Notification(SQLModel, table=True):
    # A message that must go once (a shift's reminder per sign-up and start, a user's digest per day) carries
    # a once-key; the database refuses a second row with it, whoever races (outbox.send_once).
    __table_args__ = (UniqueConstraint("once_key", name="uq_notification_once_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    kind: str = Field(max_length=64)
    subject_type: str = Field(max_length=32)
    subject_id: int
    # Notifications with the same key on the same day are shown as one digest.
    digest_key: str = Field(max_length=128, index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=json_type(), nullable=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    once_key: str | None = Field(default=None, max_length=160)
