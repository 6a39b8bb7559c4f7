"""Public pages that are the same for every anonymous visitor, kept for a few seconds, and compressed.

What is kept: a GET answered 200 to a visitor who is not signed in, on the routes that use
``page_cache_middleware`` (the board, a project's page, the figures and the public project API),
keyed by host, path, query, language and whether htmx asked for a fragment. Never kept nor served
from here: anything for a signed-in user, a response that sets a cookie, an error or a redirect. A
bearer token on these routes is anonymous (``security.guards.identity_for_route``: they are ``PUBLIC``
and name no scope that sees more), so it is served what any visitor is.

The CSRF token: an anonymous page carries the visitor's own token (htmx sends it back). It is cut
out of the kept body and the current visitor's token put back when serving, so nobody receives
another visitor's token. The cookie that goes with a new token is set outside, per request.

Freshness: once a transaction of this process that wrote to a table public pages read is over, the
cache is emptied; a page rendered while that write was in flight is not kept (a generation check).
Other processes' writes show within ``PAGE_CACHE_SECONDS``.

Compression: these routes are compressed here, after the token is put back, with the application's
``CompressionConfig`` (level, minimum size); Litestar's own compression skips them (``COMPRESSED_HERE``).
"""

import asyncio
import gzip
import struct
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from litestar.config.compression import CompressionConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from sqlalchemy import event

from marketplace.security.context import current_csrf_token

# Long enough to serve a crowd from memory, short enough that other workers' writes show soon.
PAGE_CACHE_SECONDS = 3.0
MAX_ENTRIES = 256  # every filter combination and page is a key: bound the memory
MAX_BODY_BYTES = 1 << 20
# Route opt key: Litestar's compression middleware leaves these routes to this module.
COMPRESSED_HERE = "compressed_by_page_cache"
# Writes to these tables never change a public page (accounts and logins, tokens, audit trail, inboxes).
PRIVATE_TABLES = frozenset(
    {
        "user_account",
        "user_session",
        "api_token",
        "login_failure",
        "password_reset",
        "audit_event",
        "notification",
        # The per-address counts of submissions and report lookups; no public page shows them.
        "need_submission",
    }
)
# Stands for the visitor's CSRF token in a kept body. A NUL byte is refused in every input,
# so no stored text can contain this.
_TOKEN_SLOT = b"\x00csrf-token\x00"
# gzip member header: deflate, no flags, no mtime, unknown OS.
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")
_DIRTY = "page_cache_dirty"

Key = tuple[bytes, ...]


@dataclass(frozen=True)
class CachedPage:
    status: int
    headers: tuple[tuple[bytes, bytes], ...]  # without Content-Length, set when sent
    body: bytes  # with _TOKEN_SLOT in place of the token it was rendered with
    stored_at: float
    # The body compressed once, piece by piece around the token slots (see _gzip_around_tokens).
    deflated: tuple[bytes, ...] = ()


class PageCache:
    """A small LRU of rendered pages with a time limit; thread-safe (writes invalidate from worker threads)."""

    def __init__(
        self,
        ttl: float = PAGE_CACHE_SECONDS,
        max_entries: int = MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.clock = clock
        self.generation = 0
        self._entries: OrderedDict[Key, CachedPage] = OrderedDict()
        # Pages being rendered now: when a page expires, the crowd waits for one rendering of it.
        self._rendering: dict[Key, asyncio.Future[CachedPage | None]] = {}
        self._lock = threading.Lock()

    def get(self, key: Key) -> CachedPage | None:
        with self._lock:
            page = self._entries.get(key)
            if page is None:
                return None
            if self.clock() - page.stored_at >= self.ttl:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return page

    def put(self, key: Key, page: CachedPage, generation: int) -> bool:
        """Keep ``page`` unless data changed since it began rendering (``generation`` read before)."""
        if self.ttl <= 0:
            return False
        with self._lock:
            if generation != self.generation:
                return False
            self._entries[key] = page
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
            return True

    def invalidate(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()
            # A request arriving after the write must not wait for a page rendered before it.
            self._rendering.clear()

    async def joined(self, key: Key) -> CachedPage | None:
        """The page another request is rendering for ``key`` right now, once it is done (or None)."""
        with self._lock:
            pending = self._rendering.get(key)
        # Shielded: a waiter that goes away must not cancel the rendering the others wait for.
        return None if pending is None else await asyncio.shield(pending)

    def start_rendering(self, key: Key) -> "asyncio.Future[CachedPage | None]":
        future: asyncio.Future[CachedPage | None] = asyncio.get_running_loop().create_future()
        with self._lock:
            self._rendering[key] = future
        return future

    def finish_rendering(self, key: Key, future: "asyncio.Future[CachedPage | None]", page: CachedPage | None) -> None:
        with self._lock:
            if self._rendering.get(key) is future:
                del self._rendering[key]
        if not future.done():
            future.set_result(page)

    def __len__(self) -> int:
        return len(self._entries)


def watch_writes(engine: sa.Engine, cache: PageCache) -> None:
    """Empty ``cache`` whenever a transaction on ``engine`` that wrote public data is over.

    A write is noted on its connection as it runs; the cache is emptied when the connection goes
    back to the pool or begins its next transaction, that is after the commit (or rollback) has
    finished, so a page rendered from then on sees the change.
    """

    @event.listens_for(engine, "after_cursor_execute")
    def _note_write(
        conn: sa.Connection, _cursor: Any, statement: str, _parameters: Any, context: Any, _executemany: bool
    ) -> None:
        if _writes_public_data(statement, context):
            conn.info[_DIRTY] = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        if conn.info.pop(_DIRTY, False):
            cache.invalidate()

    @event.listens_for(engine.pool, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_DIRTY, False):
            cache.invalidate()


def _writes_public_data(statement: str, context: Any) -> bool:
    if not statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
        return False
    table = getattr(getattr(getattr(context, "compiled", None), "statement", None), "table", None)
    name = getattr(table, "name", None)
    return name not in PRIVATE_TABLES  # raw SQL (no table known) counts as a write


def _header(scope: Scope, name: bytes) -> bytes:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return b""


def _key(scope: Scope) -> Key:
    locale = scope.get("state", {}).get("locale", "")
    return (
        _header(scope, b"host"),
        scope["path"].encode(),
        scope.get("query_string", b""),
        str(locale).encode(),
        # What pages.wants_fragment looks at: a fragment, a history restore or the whole page.
        _header(scope, b"hx-request"),
        _header(scope, b"hx-history-restore-request"),
    )


def _accepts_gzip(scope: Scope) -> bool:
    for item in _header(scope, b"accept-encoding").split(b","):
        coding, _, params = item.strip().partition(b";")
        if coding.strip().lower() in (b"gzip", b"*"):
            return params.replace(b" ", b"") not in (b"q=0", b"q=0.0", b"q=0.00", b"q=0.000")
    return False


async def _render(app: ASGIApp, scope: Scope, receive: Receive) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Run the route and collect its whole response (these pages are small and sent in one piece)."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def collect(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))

    await app(scope, receive, collect)
    headers = [(bytes(k).lower(), bytes(v)) for k, v in start.get("headers", [])]
    return int(start.get("status", 500)), headers, b"".join(chunks)


def _keepable(status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bool:
    return status == 200 and len(body) <= MAX_BODY_BYTES and all(name != b"set-cookie" for name, _ in headers)


def _deflate_pieces(body: bytes, level: int) -> tuple[bytes, ...]:
    """Raw deflate of each piece of ``body`` between token slots, each ending on a byte boundary.

    Every piece but the last ends with a sync flush and is not final, so the pieces joined with any
    complete deflate blocks between them form one valid stream (what pigz does to compress in parallel).
    """
    pieces = body.split(_TOKEN_SLOT)
    deflated = []
    for number, piece in enumerate(pieces, 1):
        compressor = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        end = zlib.Z_FINISH if number == len(pieces) else zlib.Z_SYNC_FLUSH
        deflated.append(compressor.compress(piece) + compressor.flush(end))
    return tuple(deflated)


def _gzip_around_tokens(deflated: tuple[bytes, ...], token: bytes, body: bytes) -> bytes:
    """gzip of ``body`` (the kept page with ``token`` in its slots) from its precompressed pieces.

    The token goes in as a stored (uncompressed) block: compressing a page again for every visitor
    cost more CPU than everything else a kept page needs.
    """
    stored_token = b"\x00" + struct.pack("<HH", len(token), len(token) ^ 0xFFFF) + token
    trailer = struct.pack("<II", zlib.crc32(body), len(body) & 0xFFFFFFFF)
    return b"".join((_GZIP_HEADER, stored_token.join(deflated), trailer))


async def _send(
    send: Send,
    scope: Scope,
    status: int,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    compression: CompressionConfig | None,
    gzipped: Callable[[], bytes] | None = None,
) -> None:
    """Send a whole response, gzipped when the client takes it and it is big enough (``gzipped`` makes it)."""
    headers = [(name, value) for name, value in headers if name not in (b"content-length", b"content-encoding")]
    if compression is not None:
        # The body differs with Accept-Encoding, whichever variant this one is.
        vary = [value for name, value in headers if name == b"vary"]
        headers = [(name, value) for name, value in headers if name != b"vary"]
        headers.append((b"vary", b", ".join([*vary, b"Accept-Encoding"])))
        if len(body) >= compression.minimum_size and _accepts_gzip(scope):
            level = compression.gzip_compress_level
            body = gzipped() if gzipped else gzip.compress(body, compresslevel=level, mtime=0)
            headers.append((b"content-encoding", b"gzip"))
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _send_page(
    send: Send, scope: Scope, page: CachedPage, token: bytes, compression: CompressionConfig | None
) -> None:
    body = page.body.replace(_TOKEN_SLOT, token)
    gzipped = (lambda: _gzip_around_tokens(page.deflated, token, body)) if page.deflated else None
    await _send(send, scope, page.status, list(page.headers), body, compression, gzipped)


async def _render_and_keep(
    app: ASGIApp,
    scope: Scope,
    receive: Receive,
    send: Send,
    cache: PageCache,
    key: Key,
    compression: CompressionConfig | None,
) -> None:
    """Render the page for an anonymous visitor, keep it, and hand it to those who waited for it."""
    token = current_csrf_token.get().encode()
    generation = cache.generation  # read before the page's data is
    future = cache.start_rendering(key)
    page: CachedPage | None = None
    try:
        status, headers, body = await _render(app, scope, receive)
        if _keepable(status, headers, body):
            kept = body.replace(token, _TOKEN_SLOT) if token else body
            deflated = _deflate_pieces(kept, compression.gzip_compress_level) if compression else ()
            page = CachedPage(status, tuple(headers), kept, cache.clock(), deflated)
            cache.put(key, page, generation)
    finally:
        cache.finish_rendering(key, future, page)
    if page is None:
        await _send(send, scope, status, headers, body, compression)
    else:
        await _send_page(send, scope, page, token, compression)


def page_cache_middleware(app: ASGIApp) -> ASGIApp:
    """Serve anonymous GETs of this route from the page cache, keep what it renders, compress all of it."""

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        litestar_app = scope["litestar_app"]
        cache: PageCache | None = getattr(litestar_app.state, "page_cache", None)
        compression: CompressionConfig | None = litestar_app.compression_config
        anonymous = scope.get("user") is None and scope["method"] == "GET"
        if cache is None or not anonymous:
            status, headers, body = await _render(app, scope, receive)
            await _send(send, scope, status, headers, body, compression)
            return
        key = _key(scope)
        page = cache.get(key) or await cache.joined(key)
        if page is None:
            await _render_and_keep(app, scope, receive, send, cache, key, compression)
            return
        await _send_page(send, scope, page, current_csrf_token.get().encode(), compression)

    return handle
