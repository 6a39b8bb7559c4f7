"""Security headers on every response: a strict CSP (no inline scripts), no sniffing, no framing."""

from typing import Any

from litestar.types import Message, Scope

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


def security_headers_hook(settings: Settings) -> Any:
    """A ``before_send`` hook: it sees every response, error pages and unmatched routes included."""
    extra = security_headers(settings)
    names = {name for name, _ in extra}

    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
            message["headers"] = [*kept, *extra]

    return before_send
