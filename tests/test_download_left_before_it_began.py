"""A download whose client went away before its first byte (a browser tab closed, a proxy or a load test that
gave up waiting) ends quietly: no traceback in the server's log, and the server goes on answering.

Under 200 connections the exports took longer than the clients waited (wrk's 10 s): each answer that then began
streaming to a closed connection logged "Exception in ASGI application" (client_gone_middleware read the
disconnect as a body that never came, after the response had started)."""

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.settings import Settings
from tests.live_server import LiveServer, start_serve
from tests.security_helpers import DEFAULT_PASSWORD, login, make_user

DOWNLOADS = ("/offers/export", "/volunteers/export", "/needs/export.csv", "/directory/organizations/export")


@pytest.fixture
def server(database_url: str, tmp_path: Path, settings: Settings, clean_engine: sa.Engine) -> Iterator[LiveServer]:
    with Session(clean_engine) as session:
        make_user(session, Role.ADMIN, username="root")
        session.commit()
    served = start_serve(database_url, tmp_path / "var", workers=1, settings={"SECRET_KEY": settings.secret_key})
    try:
        yield served
    finally:
        served.stop()


def _ask_and_leave(server: LiveServer, path: str, cookie: str) -> None:
    """Send the request whole, then close the connection at once, before any answer."""
    host, port = server.base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n\r\n"
        connection.sendall(request.encode())


def test_a_download_nobody_waits_for_any_more_logs_no_error(server: LiveServer) -> None:
    with httpx.Client(base_url=server.base_url, timeout=60) as admin:
        assert login(admin, "root", DEFAULT_PASSWORD).status_code == 303  # type: ignore[arg-type]
        cookie = "; ".join(f"{name}={value}" for name, value in admin.cookies.items())
        for path in DOWNLOADS:
            assert admin.get(path).status_code == 200, path  # the download itself works
        for _ in range(3):
            for path in DOWNLOADS:
                _ask_and_leave(server, path, cookie)
        time.sleep(1.5)  # the handlers finish and begin answering nobody
        assert admin.get("/healthz").status_code == 200
        assert admin.get(DOWNLOADS[0]).status_code == 200
    log = server.output()
    assert "Exception in ASGI application" not in log, log[-4000:]
    assert "Traceback" not in log, log[-4000:]
