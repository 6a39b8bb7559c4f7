"""Who is asking: the session cookie for people, ``Authorization: Bearer`` for systems and scripts."""

from typing import Any

import anyio
from litestar.datastructures import Headers
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.security.client import client_address
from marketplace.security.context import current_client_address, current_user
from marketplace.security.identity import AuthMethod, CurrentUser, load_current_user
from marketplace.security.sessions import SESSION_COOKIE, Lifetimes, find_live_session, touch_session
from marketplace.security.tokens import find_live_token
from marketplace.settings import Settings


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
    factory: sessionmaker[Session], lifetimes: Lifetimes, *, cookie: str | None, bearer: str | None
) -> CurrentUser | None:
    """Look the credential up; a revoked, expired or idle one, or a disabled user, is nobody."""
    with session_scope(factory) as db:
        if bearer is not None:
            token = find_live_token(db, bearer)
            if token is None or token.id is None:
                return None
            user = load_current_user(
                db, token.user_id, method=AuthMethod.TOKEN, token_id=token.id, scopes=frozenset(token.scopes.split())
            )
            if user is not None and (
                token.last_used_at is None or (utcnow() - token.last_used_at).total_seconds() > 60
            ):
                token.last_used_at = utcnow()
            return user
        if cookie is not None:
            session = find_live_session(db, cookie, lifetimes)
            if session is None or session.id is None:
                return None
            user = load_current_user(db, session.user_id, method=AuthMethod.SESSION, session_id=session.id)
            if user is not None:
                touch_session(db, session.id)
            return user
    return None


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
            if cookie or bearer:
                factory = scope["litestar_app"].state.session_factory
                user = await anyio.to_thread.run_sync(
                    lambda: resolve_user(factory, lifetimes, cookie=cookie, bearer=bearer)
                )
            scope["user"] = user
            scope["auth"] = {"session_secret": cookie if user and user.session_id else None}
            scope.setdefault("state", {})["client_address"] = address
            user_token = current_user.set(user)
            address_token = current_client_address.set(address)
            try:
                await app(scope, receive, send)
            finally:
                current_user.reset(user_token)
                current_client_address.reset(address_token)

        return handle

    return middleware
