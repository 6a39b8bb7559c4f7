"""What one connection may cost the server before the application sees a request: the HTTP protocol every
``marketplace serve`` and ``marketplace demo`` worker speaks (uvicorn's httptools protocol, bounded).

Found by the third probe (docs/SECURITY.md). uvicorn with httptools sets no limit on a request's header
block and no deadline for reading a request, so one client could:

- send a header of 100 MB: the parser joins it piece by piece, the worker's event loop spent 49 s on it
  and every other request on that worker (``/healthz`` too) waited up to a minute;
- open connections and send nothing, or a request line and then a byte now and then: each stayed open
  for ever. 2,000 of them used up a worker's 1,024 open files (the soft limit a systemd service gets) and
  the site stopped answering, ``/healthz`` included.

A reverse proxy (deploy/nginx.conf, deploy/Caddyfile) has such limits; the server has them too, for the
documented ``marketplace serve --host 0.0.0.0`` without one and for a proxy's own gaps. The limits are
nginx's defaults, rounded up:

- the request line and headers together: at most ``MAX_HEADER_BYTES`` (64 KiB), else 431 and the
  connection is closed (nginx: 4 buffers of 8 KiB);
- they must arrive within ``HEADER_SECONDS`` of the connection's (or the request's) first byte, else 408
  and closed (nginx ``client_header_timeout`` 60 s);
- a body that stops arriving for ``BODY_IDLE_SECONDS`` closes the connection (nginx ``client_body_timeout``
  60 s, also counted between reads); time when the server itself stopped reading (the application has not
  taken the body yet) does not count;
- a worker raises its soft limit of open files to its hard limit at start (``raise_open_files_limit``), as
  nginx's ``worker_rlimit_nofile`` and Go's runtime do: 1,024 is a limit of the 1990s' ``select()``.

Between requests uvicorn's own keep-alive timeout (5 s) closes an idle connection.

A client that leaves before its body has arrived (it closed the connection, or the body deadline above
closed it) is no fault of the server: Litestar reads that as "500: client disconnected prematurely", which
logged a traceback and counted a 5xx, so anyone could raise the MarketplaceErrors alert
(docs/observability.md) by closing uploads half-way. ``client_gone_middleware_factory`` answers it 400
instead (nobody is there to read it), like nginx's 499 "client closed request": a 4xx, not logged. Once the
answer has begun, a disconnect is passed on as it is: a streamed download that began after its client gave up
stops quietly instead of logging "Exception in ASGI application" (the roles load at 200 connections).
"""

import asyncio
import resource
import time
from typing import Any

from litestar.exceptions import ClientException
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

MAX_HEADER_BYTES = 64 * 1024
HEADER_SECONDS = 30.0
BODY_IDLE_SECONDS = 60.0


def _answer(status: bytes, reason: str) -> bytes:
    body = reason.encode("ascii")
    return (
        b"HTTP/1.1 " + status + b"\r\n"
        b"content-type: text/plain; charset=utf-8\r\n"
        b"content-length: " + str(len(body)).encode("ascii") + b"\r\n"
        b"connection: close\r\n\r\n" + body
    )


HEADERS_TOO_LARGE = _answer(b"431 Request Header Fields Too Large", "Request header fields too large.")
HEADERS_TOO_SLOW = _answer(b"408 Request Timeout", "The request did not arrive in time.")


class BoundedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol with a cap on the header block and deadlines for reading a request."""

    max_header_bytes = MAX_HEADER_BYTES
    header_seconds = HEADER_SECONDS
    body_idle_seconds = BODY_IDLE_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_headers = True
        self._header_bytes = 0
        self._body_pending = False
        self._last_data = time.monotonic()
        self._header_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None

    # The connection ------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_header_clock()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_clocks()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._last_data = time.monotonic()
        counting = self._in_headers
        if counting:
            self._header_bytes += len(data)
        super().data_received(data)
        # Checked after the parser had the bytes: a first read holding small headers and the start of a
        # body is no offence; what is still headers past the limit is.
        if counting and self._in_headers and self._header_bytes > self.max_header_bytes:
            self._refuse(HEADERS_TOO_LARGE)

    # The parser's callbacks -----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        self._start_header_clock()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._cancel(self._header_timer)
        self._header_timer = None
        super().on_headers_complete()
        self._body_pending = True
        self._watch_body()

    def on_message_complete(self) -> None:
        self._body_pending = False
        self._cancel(self._body_timer)
        self._body_timer = None
        self._in_headers = True  # what comes next on this connection is a new request's headers
        self._header_bytes = 0
        super().on_message_complete()

    # The clocks -----------------------------------------------------------------------------------

    def _start_header_clock(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_seconds, self._headers_late)

    def _headers_late(self) -> None:
        self._header_timer = None
        if self._in_headers and not self.transport.is_closing():
            self._refuse(HEADERS_TOO_SLOW)

    def _watch_body(self, delay: float | None = None) -> None:
        if self._body_pending and not self.transport.is_closing():
            self._body_timer = self.loop.call_later(
                self.body_idle_seconds if delay is None else delay, self._body_check
            )

    def _body_check(self) -> None:
        self._body_timer = None
        if not self._body_pending or self.transport.is_closing():
            return
        if self.flow is not None and self.flow.read_paused:
            # The server stopped reading (the application has not taken what came): not the client's delay.
            self._last_data = time.monotonic()
            self._watch_body()
            return
        idle = time.monotonic() - self._last_data
        if idle >= self.body_idle_seconds:
            self.transport.close()
            return
        self._watch_body(self.body_idle_seconds - idle)

    def _refuse(self, answer: bytes) -> None:
        self._stop_clocks()
        if not self.transport.is_closing():
            self.transport.write(answer)
            self.transport.close()

    def _stop_clocks(self) -> None:
        for timer in (self._header_timer, self._body_timer):
            self._cancel(timer)
        self._header_timer = self._body_timer = None

    @staticmethod
    def _cancel(timer: asyncio.TimerHandle | None) -> None:
        if timer is not None:
            timer.cancel()


def raise_open_files_limit() -> int:
    """Raise this process's soft limit of open files to its hard limit; the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1_048_576)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft


class ClientClosedRequest(ClientException):
    """The client left before its request's body arrived."""

    status_code = 400
    detail = "The client closed the connection before its request's body arrived."


def client_gone_middleware_factory(app: ASGIApp) -> ASGIApp:
    """Turn a disconnect while the request's body is still awaited into a 400 (see the module's note)."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        body_done = False
        answering = False

        async def receive_or_gone() -> Message:
            nonlocal body_done
            message = await receive()
            if message["type"] == "http.request" and not message.get("more_body", False):
                body_done = True
            elif message["type"] == "http.disconnect" and not body_done and not answering:
                raise ClientClosedRequest()
            return message

        async def send_noting_start(message: Message) -> None:
            # Once the answer has begun, a disconnect is what it is: a streamed download listens for it to stop
            # (the client may have left before it read the request's empty body, e.g. a GET it gave up on).
            nonlocal answering
            if message["type"] == "http.response.start":
                answering = True
            await send(message)

        await app(scope, receive_or_gone, send_noting_start)

    return handle
