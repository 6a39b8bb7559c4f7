"""Refuse requests for a Host this site does not serve (DNS rebinding, poisoned absolute links).

Litestar's allowed-hosts check compares the Host header with its port; ours compares the name
alone, so ``localhost`` allows ``localhost:8000``. ``*`` allows any and ``*.example.org`` subdomains.
"""

import re
from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from marketplace.settings import Settings
from marketplace.whole_numbers import whole_number

# RFC 9110's Host: a name (or an IPv4 address) or an IPv6 literal in brackets, then at most ":" and a port of
# digits. Nothing else: "localhost:80@evil.example" or "localhost:80.evil.example" named "localhost" when only
# the text after the last ":" was cut off, and Litestar then built the request's URL (the calendar feed's address,
# the language links) from the whole header, pointing at evil.example or failing with a 500.
# The port is a number a URL can hold (0-65535): "localhost:99999" passed as localhost, and building the
# request's URL from it (the language links) was a 500.
_HOST = re.compile(r"(\[[0-9a-f:.]+\]|[a-z0-9._-]+)(?::([0-9]{1,5}))?")
MAX_PORT = 65535


def host_name(host_header: str) -> str | None:
    """The name a Host header names, None when it is not a host at all (then no pattern allows it)."""
    found = _HOST.fullmatch(host_header.strip().lower())
    if found is None or (
        found.group(2) is not None and whole_number(found.group(2), minimum=0, maximum=MAX_PORT) is None
    ):
        return None
    return found.group(1)


def host_allowed(host_header: str | None, allowed: tuple[str, ...]) -> bool:
    if not host_header:
        return "*" in allowed
    name = host_name(host_header)
    if name is None:
        return False
    if "*" in allowed:
        return True
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
        if name == pattern:
            return True
    return False


def allowed_hosts_middleware_factory(settings: Settings) -> Any:
    allowed = settings.allowed_hosts
    body = b'{"status_code":400,"detail":"Unknown host","extra":{"code":"unknown_host"}}'

    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in {"http", "websocket"}:
                host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"host"), None)
                if not host_allowed(host, allowed):
                    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                    await send({"type": "http.response.start", "status": 400, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                    return
            await app(scope, receive, send)

        return handle

    return middleware
