"""Who is asking: the session cookie for people, ``Authorization: Bearer`` for systems and scripts."""

from typing import Any

import anyio
import sqlalchemy as sa
from litestar.datastructures import Headers
from litestar.exceptions import NotAuthorizedException
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.credentials import UserSession
from marketplace.accounts.models import User
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.notifications.centre import unread_count_of
from marketplace.security.client import client_address
from marketplace.security.context import current_client_address, current_user
from marketplace.security.identity import USER_COLUMNS, AuthMethod, CurrentUser, load_current_user, snapshot
from marketplace.security.secrets import digest
from marketplace.security.sessions import SESSION_COOKIE, TOUCH_INTERVAL, Lifetimes, is_live, touch_session
from marketplace.security.tokens import find_live_token, refused_token_problem, touch_token
from marketplace.settings import Settings

STATIC_PREFIX = "/static/"
# Paths whose bearer is a secret of their own, not an API token: Prometheus sends the metrics token
# (MARKETPLACE_METRICS_TOKEN, checked by system/metrics.MetricsAccess), which no token row knows.
OWN_BEARER_PATHS = frozenset({"/metrics"})


def bearer_token(headers: Headers) -> str | None:
    value = headers.get("authorization", "")
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return None


def session_secret(headers: Headers) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == SESSION_COOKIE and value:
            return value
    return None


def resolve_user(
    factory: sessionmaker[Session],
    lifetimes: Lifetimes,
    *,
    cookie: str | None,
    bearer: str | None,
    reader: sessionmaker[Session] | None = None,
) -> CurrentUser | None:
    """Look the credential up; a revoked, expired or idle one, or a disabled user, is nobody.

    The lookup reads only (on SQLite it never takes the write lock, so a page view never queues
    behind writers); a short write follows only when the session's or token's last use is over a
    minute old, which for a busy user is once a minute, not once a request.
    """
    with (reader or factory)() as db:
        found = _look_up(db, lifetimes, cookie=cookie, bearer=bearer)
    if found is None:
        return None
    user, stale = found
    if stale:
        with session_scope(factory) as db:
            if user.token_id is not None:
                touch_token(db, user.token_id)
            elif user.session_id is not None:
                touch_session(db, user.session_id)
    return user


def _look_up(
    db: Session, lifetimes: Lifetimes, *, cookie: str | None, bearer: str | None
) -> tuple[CurrentUser, bool] | None:
    """The user and whether their credential's last use should be written down."""
    now = utcnow()
    if bearer is not None:
        token = find_live_token(db, bearer, now)
        if token is None or token.id is None:
            return None
        user = load_current_user(
            db, token.user_id, method=AuthMethod.TOKEN, token_id=token.id, scopes=frozenset(token.scopes.split())
        )
        stale = token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL
        return (user, stale) if user is not None else None
    if cookie is not None:
        # One statement: the session, its user and the unread badge people see on every page.
        row = db.execute(
            sa.select(
                UserSession.id.label("session_id"),  # type: ignore[union-attr]
                UserSession.revoked_at,
                UserSession.expires_at,
                UserSession.last_seen_at,
                *USER_COLUMNS,
                unread_count_of(User.id).label("unread"),
            )
            .join(User, User.id == UserSession.user_id)  # type: ignore[arg-type]
            .where(UserSession.token_hash == digest(cookie))
        ).one_or_none()
        if row is None or not is_live(row, lifetimes, now):
            return None
        user = snapshot(
            db, row, method=AuthMethod.SESSION, session_id=row.session_id, unread_notifications=int(row.unread)
        )
        stale = now - row.last_seen_at > TOUCH_INTERVAL
        return (user, stale) if user is not None else None
    return None


def token_challenge(problem: str) -> str:
    """The ``WWW-Authenticate`` of a refused bearer token (RFC 6750 section 3)."""
    return f'Bearer realm="marketplace", error="invalid_token", error_description="{problem}"'


def _refused_token(state: Any, bearer: str) -> str:
    with state.reader_factory() as db:
        return refused_token_problem(db, bearer)


def authentication_middleware_factory(settings: Settings) -> Any:
    lifetimes = Lifetimes.of(settings)

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            headers = Headers.from_scope(scope)
            address = client_address(scope, settings.trusted_proxies)
            cookie, bearer = session_secret(headers), bearer_token(headers)
            user = None
            # Static files are the same for everyone: no login check, so no database, for them.
            if (cookie or bearer) and not scope["path"].startswith(STATIC_PREFIX):
                state = scope["litestar_app"].state
                user = await anyio.to_thread.run_sync(
                    lambda: resolve_user(
                        state.session_factory, lifetimes, cookie=cookie, bearer=bearer, reader=state.reader_factory
                    )
                )
            scope["user"] = user
            scope["auth"] = {"session_secret": cookie if user and user.session_id else None}
            scope.setdefault("state", {})["client_address"] = address
            path = scope["path"]
            if (
                bearer is not None
                and user is None
                and not path.startswith(STATIC_PREFIX)
                and path not in OWN_BEARER_PATHS
            ):
                # Before CSRF and any route: a request that names a token is that token's, and a dead one is a
                # 401 saying why (RFC 6750), whatever the method; never a CSRF refusal or an anonymous call.
                state = scope["litestar_app"].state
                problem = await anyio.to_thread.run_sync(lambda: _refused_token(state, bearer))
                raise NotAuthorizedException(problem, headers={"WWW-Authenticate": token_challenge(problem)})
            user_token = current_user.set(user)
            address_token = current_client_address.set(address)
            try:
                await app(scope, receive, send)
            finally:
                current_user.reset(user_token)
                current_client_address.reset(address_token)

        return handle

    return middleware
