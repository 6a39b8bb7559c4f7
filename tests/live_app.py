"""A real uvicorn server on 127.0.0.1 for the worker's test database, for concurrency tests.

Use the ``live_app`` fixture (import it into your test module: ``from tests.live_app import live_app``):
it serves ``create_app(settings)`` on a free port in a background thread, waits for /healthz, and
captures every log record the server writes, so a test can assert that nothing failed
("database is locked", tracebacks) besides counting status codes. Requests go through httpx,
each "user" with an API token (``Authorization: Bearer``, exempt from CSRF) or its own cookies.
"""

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest
import sqlalchemy as sa
import uvicorn

from marketplace.app import create_app
from marketplace.settings import Settings
from tests.live_server import free_port

_CAPTURED_LOGGERS = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "litestar", "sqlalchemy")


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a malformed record still counts as output
            text = str(record.msg)
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        with self._lock:
            self.lines.append(f"{record.levelname} {record.name}: {text}")


@dataclass
class LiveApp:
    base_url: str
    server: uvicorn.Server
    thread: threading.Thread
    handler: _ListHandler
    limits: httpx.Limits = field(default_factory=lambda: httpx.Limits(max_connections=100))

    def log(self) -> str:
        """Everything the server logged so far."""
        return "\n".join(self.handler.lines)

    def client(self, *, token: str | None = None, timeout: float = 60.0) -> httpx.Client:
        """An httpx client for this server, optionally authenticated with an API token."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout, limits=self.limits)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def start_live_app(settings: Settings, *, timeout: float = 30.0) -> LiveApp:
    """Serve ``create_app(settings)`` with uvicorn in a thread on 127.0.0.1; return once /healthz answers."""
    port = free_port()
    handler = _ListHandler()
    for name in _CAPTURED_LOGGERS:
        logging.getLogger(name).addHandler(handler)
    config = uvicorn.Config(
        create_app(settings),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="on",
        log_config=None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"live-app-{port}", daemon=True)
    thread.start()
    live = LiveApp(f"http://127.0.0.1:{port}", server, thread, handler)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn stopped before answering:\n{live.log()}")
        try:
            if httpx.get(f"{live.base_url}/healthz", timeout=2).status_code == 200:
                return live
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    live.stop()
    raise RuntimeError(f"uvicorn did not answer /healthz within {timeout}s:\n{live.log()}")


def _detach(handler: logging.Handler) -> None:
    for name in _CAPTURED_LOGGERS:
        logging.getLogger(name).removeHandler(handler)


@pytest.fixture
def live_app(settings: Settings, clean_engine: sa.Engine) -> Iterator[LiveApp]:
    """A real HTTP server on 127.0.0.1 over the worker's (emptied) test database."""
    live = start_live_app(settings)
    try:
        yield live
    finally:
        live.stop()
        _detach(live.handler)
