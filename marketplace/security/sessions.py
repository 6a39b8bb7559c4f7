"""Login sessions kept on the server: a new id at every login, revocable at any time."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from litestar.datastructures import Cookie
from sqlmodel import Session

from marketplace.accounts.credentials import UserSession
from marketplace.db.types import utcnow
from marketplace.security.cookies import site_cookie
from marketplace.security.secrets import digest, new_secret
from marketplace.settings import Settings

SESSION_COOKIE = "session"
# Writing last_seen_at on every request would serialise readers behind the write lock.
TOUCH_INTERVAL = timedelta(seconds=60)


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta

    @classmethod
    def of(cls, settings: Settings) -> "Lifetimes":
        return cls(timedelta(minutes=settings.session_idle_minutes), timedelta(hours=settings.session_absolute_hours))


def start_session(
    db: Session, user_id: int, lifetimes: Lifetimes, *, client_address: str | None, user_agent: str | None
) -> tuple[str, UserSession]:
    """A brand-new session (never a reused id: that is what stops session fixation)."""
    secret = new_secret()
    now = utcnow()
    row = UserSession(
        token_hash=digest(secret),
        user_id=user_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + lifetimes.absolute,
        client_address=client_address,
        user_agent=(user_agent or "")[:200] or None,
    )
    db.add(row)
    db.flush()
    return secret, row


def find_live_session(
    db: Session, secret: str, lifetimes: Lifetimes, now: datetime | None = None
) -> UserSession | None:
    """The session for a cookie, if it is neither revoked, expired nor idle for too long."""
    now = now or utcnow()
    row = db.execute(sa.select(UserSession).where(UserSession.token_hash == digest(secret))).scalar_one_or_none()
    if row is None or not is_live(row, lifetimes, now):
        return None
    return row


def is_live(row: Any, lifetimes: Lifetimes, now: datetime) -> bool:
    """Neither revoked, nor past its absolute lifetime, nor idle for too long (a session row or a row
    holding its ``revoked_at``, ``expires_at`` and ``last_seen_at``)."""
    if row.revoked_at is not None or row.expires_at <= now:
        return False
    return bool(row.last_seen_at + lifetimes.idle > now)


def touch_session(db: Session, session_id: int, now: datetime | None = None) -> None:
    now = now or utcnow()
    db.execute(
        sa.update(UserSession)
        .where(UserSession.id == session_id, UserSession.last_seen_at < now - TOUCH_INTERVAL)
        .values(last_seen_at=now)
    )


def revoke_session(db: Session, session_id: int) -> None:
    db.execute(
        sa.update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow())
    )


def revoke_all_sessions(db: Session, user_id: int) -> int:
    """End every session of a user (logout everywhere, disabled account); returns how many."""
    result = db.execute(
        sa.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def session_cookie(secret: str, settings: Settings) -> Cookie:
    return site_cookie(SESSION_COOKIE, secret, settings, max_age=settings.session_absolute_hours * 3600)


def expired_session_cookie(settings: Settings) -> Cookie:
    return site_cookie(SESSION_COOKIE, "", settings, max_age=0)
