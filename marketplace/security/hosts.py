"""Refuse requests for a Host this site does not serve (DNS rebinding, poisoned absolute links).

Litestar's allowed-hosts check compares the Host header with its port; ours compares the name
alone, so ``localhost`` allows ``localhost:8000``. ``*`` allows any and ``*.example.org`` subdomains.
"""

from typing import Any

from litestar.types import ASGIApp, Receive, Scope, Send

from marketplace.settings import Settings


def host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):  # IPv6 literal, with or without a port
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if ":" in host else host


def host_allowed(host_header: str | None, allowed: tuple[str, ...]) -> bool:
    if "*" in allowed:
        return True
    if not host_header:
        return False
    name = host_name(host_header)
    for pattern in allowed:
        pattern = pattern.lower()
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return True
        if name == pattern:
            return True
    return False


def allowed_hosts_middleware_factory(settings: Settings) -> Any:
    allowed = settings.allowed_hosts
    body = b'{"status_code":400,"detail":"Unknown host"}'

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
