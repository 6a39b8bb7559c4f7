"""API tokens as admins and the command line manage them: list, create (secret shown once), revoke.

Every create and revoke writes an audit row in the same transaction; the secret never reaches it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.accounts.services import ApiToken, user_in_admin_streets
from marketplace.audit.services import record
from marketplace.db.types import utcnow
from marketplace.i18n import N_
from marketplace.security.identity import CurrentUser
from marketplace.security.secrets import digest, new_secret
from marketplace.security.tokens import (
    TOKEN_PREFIX,
    TOKEN_SCOPES,
    UnknownScopeError,
    create_api_token,
    parse_scopes,
    revoke_api_token,
)
from marketplace.whole_numbers import whole_number

MAX_EXPIRY_DAYS = 3650
# The prefix of a token made by the tokens page until its secret is shown (it has none before).
UNSHOWN_PREFIX = ""
NAME_MAX = 100
# Scope descriptions as people read them; the keys are the scopes themselves.
SCOPE_LABELS: dict[str, str] = {
    "needs:read": N_("Read needs and projects"),
    "needs:write": N_("Submit needs (12345 hotline, e-home platform)"),
    "contacts:read": N_("Show residents' full contacts (each showing is audited)"),
    "offers:read": N_("Read offers"),
    "offers:write": N_("Create and edit offers"),
    "matches:read": N_("Read claims, sign-ups and proposals"),
    "matches:write": N_("Claim projects, sign up, decide on matches"),
    "profile:read": N_("Read your own volunteer profile and hours"),
    "profile:write": N_("Change your own volunteer profile"),
    "organization:write": N_("Correct and resend your organization's application (partners)"),
    "items:read": N_("Read the item vocabulary and resolve a text to an item"),
    "items:write": N_("Add, edit and retire items of the vocabulary (admins)"),
    "jobs:read": N_("Read background jobs: status, progress, errors (admins)"),
    "jobs:write": N_("Retry failed background jobs (admins)"),
    "city:read": N_("Compare every street's figures (city admins)"),
    "admin": N_("Administration (users, organizations, audit log)"),
}
assert SCOPE_LABELS.keys() == TOKEN_SCOPES.keys(), "every token scope needs a translated label"


class TokenInputError(ValueError):
    """A field of a token request is wrong; ``field`` names it (form field or CLI option)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class TokenListing:
    id: int
    name: str
    username: str
    display_name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.prefix == UNSHOWN_PREFIX:
            return "unshown"
        if self.expires_at is not None and self.expires_at <= utcnow():
            return "expired"
        return "active"


def _in_scope(viewer: CurrentUser | None) -> sa.ColumnElement[bool]:
    """A street admin's tokens are those of the accounts they manage (a city admin's and the CLI's: all)."""
    return user_in_admin_streets(viewer) if viewer is not None and viewer.is_admin else sa.true()


def list_tokens(reader: Session, viewer: CurrentUser | None = None) -> list[TokenListing]:
    """Every token in the viewer's scope, newest first, with its user; never the secret or its digest."""
    rows = reader.execute(
        sa.select(ApiToken, User.username, User.display_name)
        .join(User, User.id == ApiToken.user_id)  # type: ignore[arg-type]
        .where(_in_scope(viewer))
        .order_by(ApiToken.id.desc())  # type: ignore[union-attr]
    ).all()
    return [
        TokenListing(
            id=token.id,
            name=token.name,
            username=username,
            display_name=display_name,
            prefix=token.prefix,
            scopes=tuple(token.scopes.split()),
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )
        for token, username, display_name in rows
    ]


def active_token_count(reader: Session, viewer: CurrentUser | None = None) -> int:
    now = utcnow()
    query = sa.select(sa.func.count()).where(
        ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
        ApiToken.prefix != UNSHOWN_PREFIX,  # type: ignore[arg-type]
        sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now),  # type: ignore[union-attr,operator]
        ApiToken.user_id.in_(sa.select(User.id).where(_in_scope(viewer))),  # type: ignore[union-attr]
    )
    return int(reader.execute(query).scalar_one())


def token_users(reader: Session, viewer: CurrentUser | None = None) -> list[User]:
    """Active users in the viewer's scope a token may act as, for the form's select."""
    query = (
        sa.select(User)
        .where(User.is_active.is_(True), _in_scope(viewer))  # type: ignore[attr-defined]
        .order_by(User.role, User.username)
    )
    return list(reader.execute(query).scalars())


def find_user(db: Session, user: str, viewer: CurrentUser | None = None) -> User:
    """An active user by username, or by id when given digits (the form's select sends ids)."""
    user = user.strip()
    if not user:
        raise TokenInputError("user", N_("Choose the user the token acts as"))
    query = sa.select(User).where(User.username == user)
    user_id = whole_number(user)
    if user_id is not None:
        query = sa.select(User).where(sa.or_(User.id == user_id, User.username == user))  # type: ignore[arg-type]
    row = db.execute(query.where(_in_scope(viewer))).scalars().first()
    if row is None:
        raise TokenInputError("user", N_("No such user"))
    if not row.is_active:
        raise TokenInputError("user", N_("This account is disabled"))
    return row


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise TokenInputError("name", N_("Give the token a name, e.g. the system that uses it"))
    if len(name) > NAME_MAX or "\x00" in name:
        raise TokenInputError("name", N_("At most 100 characters"))
    return name


def check_scopes(scopes: list[str]) -> list[str]:
    try:
        return parse_scopes(scopes)
    except UnknownScopeError as error:
        if not [s for s in scopes if s.strip()]:
            raise TokenInputError("scopes", N_("Choose at least one scope")) from error
        raise TokenInputError("scopes", N_("Unknown scope")) from error


def check_expiry_days(days: str | int | None) -> int | None:
    if days is None or (isinstance(days, str) and not days.strip()):
        return None
    value = days if isinstance(days, int) else whole_number(days.strip(), minimum=0, maximum=10**9)
    if value is None:
        raise TokenInputError("expires_days", N_("A whole number of days"))
    if not 1 <= value <= MAX_EXPIRY_DAYS:
        raise TokenInputError("expires_days", N_("Between 1 and 3650 days"))
    return value


def _token_snapshot(row: ApiToken) -> dict[str, object]:
    return {
        "name": row.name,
        "user_id": row.user_id,
        "prefix": row.prefix,
        "scopes": row.scopes,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
    }


def _checked_request(
    db: Session, *, user: str, name: str, scopes: list[str], expires_days: str | int | None, actor: CurrentUser | None
) -> tuple[User, str, list[str], datetime | None]:
    """Every field of a token request checked at once: the owner, name, scopes and expiry; or TokenInputErrors."""
    errors: list[TokenInputError] = []
    owner = clean_name = clean_scopes = days = None
    for check in (
        lambda: find_user(db, user, actor),
        lambda: check_name(name),
        lambda: check_scopes(scopes),
        lambda: check_expiry_days(expires_days),
    ):
        try:
            value = check()
        except TokenInputError as error:
            errors.append(error)
            continue
        if isinstance(value, User):
            owner = value
        elif isinstance(value, str):
            clean_name = value
        elif isinstance(value, list):
            clean_scopes = value
        else:
            days = value
    if errors:
        raise TokenInputErrors(errors)
    assert owner is not None and owner.id is not None and clean_name is not None and clean_scopes is not None
    return owner, clean_name, clean_scopes, utcnow() + timedelta(days=days) if days else None


def issue_token(
    db: Session,
    *,
    user: str,
    name: str,
    scopes: list[str],
    expires_days: str | int | None,
    actor: CurrentUser | None,
    actor_id: int | None = None,
    actor_role: str | None = None,
) -> tuple[str, ApiToken, User]:
    """Validate every field, create the token and audit it; returns the secret (shown once)."""
    owner, clean_name, clean_scopes, expires_at = _checked_request(
        db, user=user, name=name, scopes=scopes, expires_days=expires_days, actor=actor
    )
    creator = actor.id if actor else actor_id
    secret, row = create_api_token(
        db, user_id=owner.id or 0, name=clean_name, scopes=clean_scopes, created_by_id=creator, expires_at=expires_at
    )
    record(
        db,
        "token.create",
        object_type="api_token",
        object_id=row.id,
        after=_token_snapshot(row),
        actor=actor,
        actor_id=actor_id,
        actor_role=actor_role,
    )
    return secret, row, owner


def issue_token_to_show(
    db: Session,
    *,
    user: str,
    name: str,
    scopes: list[str],
    expires_days: str | int | None,
    actor: CurrentUser,
    pending: Callable[[int], str],
) -> ApiToken:
    """The tokens page's form: validate every field as ``issue_token`` does, create the token without a secret
    (its digest is ``pending(row id)``, see security/reveal.py) and audit it; ``show_token_secret`` makes the
    secret on the page the form redirects to."""
    owner, clean_name, clean_scopes, expires_at = _checked_request(
        db, user=user, name=name, scopes=scopes, expires_days=expires_days, actor=actor
    )
    row = ApiToken(
        user_id=owner.id or 0,
        name=clean_name,
        prefix=UNSHOWN_PREFIX,
        token_hash=digest(new_secret()),  # for the insert only: replaced by the pending digest below
        scopes=" ".join(clean_scopes),
        created_by_id=actor.id,
        expires_at=expires_at,
    )
    db.add(row)
    db.flush()
    assert row.id is not None
    row.token_hash = pending(row.id)
    db.flush()
    record(db, "token.create", object_type="api_token", object_id=row.id, after=_token_snapshot(row), actor=actor)
    return row


def token_to_show(db: Session, token_id: int, viewer: CurrentUser) -> ApiToken | None:
    """A token ``viewer`` created, whose secret page they may open; None for any other (as good as missing)."""
    row = db.get(ApiToken, token_id)
    if row is None or row.created_by_id != viewer.id:
        return None
    return row


def token_owner(db: Session, row: ApiToken) -> str:
    """The username a token acts as."""
    return str(db.execute(sa.select(User.username).where(User.id == row.user_id)).scalar_one())  # type: ignore[arg-type]


def show_token_secret(db: Session, row: ApiToken, actor: CurrentUser, pending: str) -> str | None:
    """Make the token's secret and swap it in for the pending digest: the secret, the first time; None once
    it was shown (or the token was revoked before), whatever the reloads."""
    secret = TOKEN_PREFIX + new_secret()
    swapped = db.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.id == row.id,  # type: ignore[arg-type]
            ApiToken.token_hash == pending,  # type: ignore[arg-type]
            ApiToken.created_by_id == actor.id,  # type: ignore[arg-type]
            ApiToken.revoked_at.is_(None),  # type: ignore[union-attr]
        )
        .values(token_hash=digest(secret), prefix=secret[:12])
        .execution_options(synchronize_session=False)
    )
    if int(swapped.rowcount or 0) != 1:  # type: ignore[attr-defined]
        return None
    record(
        db, "token.secret_shown", object_type="api_token", object_id=row.id, after={"prefix": secret[:12]}, actor=actor
    )
    return secret


class TokenInputErrors(ValueError):
    """All that is wrong with a token request at once, so a form shows every message."""

    def __init__(self, errors: list[TokenInputError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    def by_field(self) -> dict[str, str]:
        return {error.field: error.message for error in self.errors}


def withdraw_token(
    db: Session,
    token_id: int,
    *,
    actor: CurrentUser | None,
    actor_id: int | None = None,
    actor_role: str | None = None,
) -> ApiToken | None:
    """Revoke a live token and audit it; None when there is no such token or it is already revoked."""
    row = db.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return None
    if db.execute(sa.select(User.id).where(User.id == row.user_id, _in_scope(actor))).first() is None:
        return None  # another street's token: as good as missing
    if not revoke_api_token(db, token_id):
        return None
    db.refresh(row)
    record(
        db,
        "token.revoke",
        object_type="api_token",
        object_id=token_id,
        before={"revoked_at": None},
        after={"revoked_at": row.revoked_at.isoformat() if row.revoked_at else None, "name": row.name},
        actor=actor,
        actor_id=actor_id,
        actor_role=actor_role,
    )
    return row
