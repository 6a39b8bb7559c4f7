"""Server-side credentials: login sessions, API tokens, admin-issued password resets, login failures.

Only a SHA-256 digest of each secret is stored; the secret itself is shown once (cookie, token
printout, reset link) and cannot be recovered from the database.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from marketplace.db.types import UTCDateTime, utcnow


class UserSession(SQLModel, table=True):
    """A login session; the cookie holds the secret, the row its digest and its lifetimes."""

    __tablename__ = "user_session"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="user_session_expires_after_creation"),)

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # The absolute lifetime; the idle lifetime is measured from last_seen_at.
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    client_address: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=200)


class ApiToken(SQLModel, table=True):
    """A bearer token for a system (12345 hotline, e-home platform) or a script, acting as its user."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(max_length=100)
    # The first characters, so people can tell their tokens apart without the secret.
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    # Space-separated scopes, e.g. "needs:write needs:read".
    scopes: str = Field(max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PasswordReset(SQLModel, table=True):
    """A one-time password reset link an admin issued; used once, then dead."""

    __tablename__ = "password_reset"
    __table_args__ = (CheckConstraint("expires_at > created_at", name="password_reset_expires_after_creation"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """One failed login; throttling counts recent rows per account and per client address.

    Kept in the database so every worker process sees the same counts.
    """

    __tablename__ = "login_failure"
    __table_args__ = (
        Index("login_failure_by_account", "account", "failed_at"),
        Index("login_failure_by_address", "client_address", "failed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account: str = Field(max_length=64)
    client_address: str = Field(max_length=64)
    failed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
