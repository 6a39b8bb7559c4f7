"""CSRF protection for every state-changing request: an Origin check and a session-bound token.

The token is an HMAC of the secret key and the session (or, before login, an anonymous cookie),
so a token from another session never passes. Requests authenticated only by a bearer token
carry no ambient credentials and need no CSRF token.
"""

import hashlib
import hmac
from typing import Any
from urllib.parse import urlsplit

from litestar import Request
from litestar.datastructures import Headers
from litestar.exceptions import PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from marketplace.security.authentication import bearer_token, session_secret
from marketplace.security.context import current_csrf_token
from marketplace.security.cookies import site_cookie
from marketplace.security.guards import identity_for_route
from marketplace.security.secrets import new_secret
from marketplace.settings import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_COOKIE = "csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class CsrfRejected(PermissionDeniedException):
    """A state-changing request without a valid token or from another site."""


def csrf_token_for(secret_key: str, binding: str) -> str:
    return hmac.new(secret_key.encode(), f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def _cookie(headers: Headers, name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        key, _, value = part.strip().partition("=")
        if key == name and value:
            return value
    return None


def _same_origin(headers: Headers) -> bool:
    """Origin (or, lacking it, Referer) must name this site's host (already checked against allowed hosts).

    A request with neither header comes from no browser; the token check still applies to it.
    """
    claimed = headers.get("origin") or headers.get("referer")
    if not claimed:
        return True
    if claimed == "null":
        return False
    return urlsplit(claimed).netloc == headers.get("host", "")


def csrf_middleware_factory(settings: Settings) -> Any:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            headers = Headers.from_scope(scope)
            user = scope.get("user")
            signed_in_secret = (scope.get("auth") or {}).get("session_secret")
            anonymous = _cookie(headers, CSRF_COOKIE)
            new_anonymous: str | None = None
            if signed_in_secret:
                binding = "session:" + signed_in_secret
            else:
                if anonymous is None:
                    anonymous = new_anonymous = new_secret(24)
                binding = "anonymous:" + anonymous
            expected = csrf_token_for(settings.secret_key, binding)

            if scope["method"] not in SAFE_METHODS:
                bearer_only = bearer_token(headers) is not None and session_secret(headers) is None
                if not (bearer_only and user is not None):
                    if not _same_origin(headers):
                        raise CsrfRejected("Cross-site request refused (Origin does not match)")
                    sent = headers.get(CSRF_HEADER)
                    if not sent and headers.get("content-type", "").startswith(FORM_TYPES):
                        form = await Request(scope, receive).form()
                        value = form.get(CSRF_FIELD)
                        sent = value if isinstance(value, str) else None
                    if not sent or not hmac.compare_digest(sent, expected):
                        raise CsrfRejected("Missing or invalid CSRF token")
            # After the CSRF check (a browser's forged request is refused as such first), before any guard:
            # a token reaches only routes that declare the scope it needs, and is anonymous on public ones
            # unless it carries the scope the route names.
            scope["user"] = identity_for_route(user, scope.get("route_handler"))

            token = current_csrf_token.set(expected)
            # Litestar's Jinja engine installs its own ``csrf_token()`` (it shadows ours), reading it from here.
            ScopeState.from_scope(scope).csrf_token = expected
            send_with_cookie = send
            if new_anonymous is not None:
                cookie = site_cookie(CSRF_COOKIE, new_anonymous, settings)

                async def send_with_cookie(message: Message) -> None:
                    if message["type"] == "http.response.start":
                        message.setdefault("headers", [])
                        message["headers"] = [*message["headers"], cookie.to_encoded_header()]
                    await send(message)

            try:
                await app(scope, receive, send_with_cookie)
            finally:
                current_csrf_token.reset(token)

        return handle

    return middleware
