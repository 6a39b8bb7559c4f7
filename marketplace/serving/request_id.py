"""A request id for every request: taken from ``X-Request-ID`` when it is sane, else made up; echoed back."""

import logging
import re
import secrets
import time
from typing import Any

from litestar.datastructures import Headers
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from marketplace.serving.logs import current_request_id
from marketplace.settings import Settings

REQUEST_ID_HEADER = "x-request-id"
# A proxy's id is kept only if it cannot forge log lines (no spaces, no newlines, bounded).
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
access_log = logging.getLogger("marketplace.access")


def request_id_for(headers: Headers) -> str:
    incoming = headers.get(REQUEST_ID_HEADER, "")
    return incoming if _SANE_ID.fullmatch(incoming) else secrets.token_hex(8)


def request_id_middleware_factory(settings: Settings) -> Any:
    def middleware(app: ASGIApp) -> ASGIApp:
        async def handle(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            request_id = request_id_for(Headers.from_scope(scope))
            token = current_request_id.set(request_id)
            started = time.perf_counter()
            status = 500

            async def send_with_id(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = [*message.get("headers", ()), (b"x-request-id", request_id.encode())]
                    message = {**message, "headers": headers}  # type: ignore[typeddict-item]
                await send(message)

            try:
                await app(scope, receive, send_with_id)
            finally:
                if settings.access_log:
                    elapsed_ms = (time.perf_counter() - started) * 1000
                    access_log.info("%s %s %s %.1f ms", scope["method"], scope["path"], status, elapsed_ms)
                current_request_id.reset(token)

        return handle

    return middleware
