"""In-app notifications, grouped into digests by ``digest_key``."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, json_type, utcnow


class Notification(SQLModel, table=True):
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
