"""The audit log: who did what to which object, when, before and after. Rows are only ever inserted."""

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, json_type, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    actor_role: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=64, index=True)
    object_type: str = Field(max_length=32)
    object_id: int | None = None
    before: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    after: dict[str, Any] | None = Field(default=None, sa_type=json_type())
    client_address: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False, index=True)
