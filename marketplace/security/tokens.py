"""API tokens for systems and scripts: shown once, stored as a digest, scoped, revocable."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.credentials import ApiToken
from marketplace.db.types import utcnow
from marketplace.security.secrets import digest, new_secret

TOKEN_PREFIX = "rpm_"
# What a token may be allowed to do; a token never does more than its user's role allows.
TOKEN_SCOPES: dict[str, str] = {
    "needs:read": "Read needs and projects",
    "needs:write": "Submit needs (12345 hotline, e-home platform)",
    "contacts:read": "Show residents' full contacts (each showing is audited)",
    "offers:read": "Read offers",
    "offers:write": "Create and edit offers",
    "matches:read": "Read claims, sign-ups and proposals",
    "matches:write": "Claim projects, sign up, decide on matches",
    "profile:read": "Read your own volunteer profile and hours",
    "profile:write": "Change your own volunteer profile",
    # Before it existed, a partner's application was resent with profile:write; that is still accepted there.
    "organization:write": "Correct and resend your organization's application (partners)",
    "items:read": "Read the item vocabulary and resolve a text to an item",
    "items:write": "Add, edit and retire items of the vocabulary (admins)",
    "jobs:read": "Read background jobs: status, progress, errors (admins)",
    "jobs:write": "Retry failed background jobs (admins)",
    "city:read": "Compare every street's figures (city admins)",
    "admin": "Administration (users, organizations, audit log)",
}


class UnknownScopeError(ValueError):
    pass


def parse_scopes(scopes: list[str] | str) -> list[str]:
    items = scopes.split() if isinstance(scopes, str) else [s.strip() for s in scopes if s.strip()]
    unknown = sorted(set(items) - TOKEN_SCOPES.keys())
    if unknown:
        raise UnknownScopeError(f"unknown scope(s): {', '.join(unknown)}; known: {', '.join(TOKEN_SCOPES)}")
    if not items:
        raise UnknownScopeError("at least one scope is required")
    return sorted(set(items))


def create_api_token(
    db: Session,
    *,
    user_id: int,
    name: str,
    scopes: list[str],
    created_by_id: int | None,
    expires_at: datetime | None = None,
) -> tuple[str, ApiToken]:
    """Create a token; the returned secret is the only time anyone sees it."""
    secret = TOKEN_PREFIX + new_secret()
    row = ApiToken(
        user_id=user_id,
        name=name,
        prefix=secret[:12],
        token_hash=digest(secret),
        scopes=" ".join(parse_scopes(scopes)),
        created_by_id=created_by_id,
        expires_at=expires_at,
    )
    db.add(row)
    db.flush()
    return secret, row


def find_live_token(db: Session, secret: str, now: datetime | None = None) -> ApiToken | None:
    now = now or utcnow()
    row = db.execute(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret))).scalar_one_or_none()
    return row if row is not None and token_problem(row, now) is None else None


def token_problem(row: ApiToken | None, now: datetime | None = None) -> str | None:
    """Why a token opens nothing (None: it is live): what ``WWW-Authenticate`` tells its caller."""
    now = now or utcnow()
    if row is None:
        return "This token is not known"
    if row.revoked_at is not None:
        return "This token was revoked; ask an admin for a new one"
    if row.expires_at is not None and row.expires_at <= now:
        return "This token expired on " + row.expires_at.strftime("%Y-%m-%d %H:%M UTC") + "; ask an admin for a new one"
    return None


def refused_token_problem(db: Session, secret: str, now: datetime | None = None) -> str:
    """Why a bearer secret that named nobody was refused: unknown, revoked, expired, or its account disabled."""
    row = db.execute(sa.select(ApiToken).where(ApiToken.token_hash == digest(secret))).scalar_one_or_none()
    return token_problem(row, now) or "This token's account is disabled"


def touch_token(db: Session, token_id: int, now: datetime | None = None) -> None:
    """Write down a token's last use (at most about once a minute: see the login check)."""
    db.execute(sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now or utcnow()))


def revoke_api_token(db: Session, token_id: int) -> bool:
    result = db.execute(
        sa.update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .values(revoked_at=utcnow())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
