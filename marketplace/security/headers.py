"""Security headers on every response: a strict CSP (no inline scripts), no sniffing, no framing."""

from typing import Any

from litestar.types import Message, Scope

from marketplace.security.sessions import SESSION_COOKIE
from marketplace.settings import Settings

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def security_headers(settings: Settings) -> list[tuple[bytes, bytes]]:
    headers = {
        "content-security-policy": CONTENT_SECURITY_POLICY,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        "cross-origin-opener-policy": "same-origin",
    }
    if settings.secure_cookies:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return [(name.encode(), value.encode()) for name, value in headers.items()]


NO_STORE = (b"cache-control", b"no-store")
# A route's opt: its address carries a secret (a password reset link), so even an anonymous answer is one
# person's and must not be stored by a browser's or a proxy's cache.
SECRET_IN_PATH = "secret_in_path"


def _secret_in_path(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return bool(handler is not None and getattr(handler, "opt", {}).get(SECRET_IN_PATH))


def _carries_credentials(scope: Scope) -> bool:
    """The request came with a session cookie or a bearer token: its answer is one person's view."""
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            return True
        if name == b"cookie" and any(
            part.strip().startswith(SESSION_COOKIE.encode() + b"=") for part in value.split(b";")
        ):
            return True
    return False


def security_headers_hook(settings: Settings) -> Any:
    """A ``before_send`` hook: it sees every response, error pages and unmatched routes included.

    A signed-in answer (residents' contacts on a need, one's own data export), and any answer at an address
    that carries a secret (``SECRET_IN_PATH``), is also ``no-store`` unless its handler chose a cache
    policy: a shared proxy or the next user of a street office's computer must not find it in a cache.
    Static files keep their validators either way."""
    extra = security_headers(settings)
    names = {name for name, _ in extra}

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message["headers"] = [*kept, *extra]
            path = scope.get("path", "")
            if (
                not path.startswith("/static/")
                and not any(k.lower() == b"cache-control" for k, _ in kept)
                and (_carries_credentials(scope) or _secret_in_path(scope))
            ):
                message["headers"].append(NO_STORE)

    return before_send
