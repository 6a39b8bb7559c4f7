"""Third probe: what one connection may cost the server (marketplace/security/slow_clients.py).

Before: a 100 MB header kept a worker's event loop busy for 49 s (``/healthz`` waited up to a minute), silent
or half-sent requests stayed open for ever and 2,000 of them used up a worker's 1,024 files (the site stopped
answering), and a client leaving in the middle of its body counted as a 5xx with a logged traceback.

Against a real ``marketplace serve``, and against uvicorn running the same protocol with short deadlines.
"""

import contextlib
import resource
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from marketplace.security.slow_clients import MAX_HEADER_BYTES, BoundedHttpTools, raise_open_files_limit
from marketplace.serving.workers import server_config
from tests.live_server import LiveServer, free_port, start_serve


def _connect(base: str) -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock


def _answer(sock: socket.socket, wait: float = 10.0) -> bytes:
    """Everything the server says until it closes the connection (or ``wait`` passes)."""
    sock.settimeout(wait)
    data = b""
    with contextlib.suppress(TimeoutError, ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def _closed(sock: socket.socket, wait: float) -> bool:
    """True when the server closed the connection within ``wait`` seconds."""
    sock.settimeout(wait)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return True


# --- the protocol, with short deadlines, in uvicorn ---------------------------------------------------


class QuickDeadlines(BoundedHttpTools):
    header_seconds = 0.5
    body_idle_seconds = 0.5


async def _echo_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    answer = b"got %d bytes" % len(body)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"%d" % len(answer))]})
    await send({"type": "http.response.body", "body": answer})


@pytest.fixture
def quick_server() -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        _echo_app, host="127.0.0.1", port=port, http=QuickDeadlines, lifespan="off", log_level="error"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_a_connection_that_sends_nothing_is_closed_with_408(quick_server: str) -> None:
    sock = _connect(quick_server)
    answer = _answer(sock, wait=10)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]


def test_headers_that_never_end_are_closed_with_408_however_slowly_they_drip(quick_server: str) -> None:
    sock = _connect(quick_server)
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    for number in range(4):  # a header now and then: the deadline counts from the first byte, not the last
        time.sleep(0.2)
        with contextlib.suppress(OSError):
            sock.sendall(b"X-Drip-%d: 1\r\n" % number)
    assert _answer(sock, wait=10).startswith(b"HTTP/1.1 408")


def test_a_body_that_stops_arriving_closes_the_connection(quick_server: str) -> None:
    sock = _connect(quick_server)
    sock.sendall(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nhalf")
    assert _closed(sock, wait=10)


def test_requests_sent_in_time_are_served_as_before_also_on_a_kept_connection(quick_server: str) -> None:
    with httpx.Client(base_url=quick_server) as client:
        for size in (0, 10, 200_000):
            response = client.post("/", content=b"x" * size)
            assert response.status_code == 200 and response.text == f"got {size} bytes"
        time.sleep(0.8)  # longer than both deadlines: an idle kept connection is uvicorn's keep-alive's business
        assert client.get("/").status_code == 200
    sock = _connect(quick_server)
    big = b"".join(b"X-Header-%d: %s\r\n" % (n, b"v" * 100) for n in range(200))  # 22 KB of headers: allowed
    sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + big + b"Connection: close\r\n\r\n")
    assert _answer(sock).startswith(b"HTTP/1.1 200")


# --- a real `marketplace serve` -----------------------------------------------------------------------


def test_serve_and_demo_speak_the_bounded_protocol() -> None:
    import inspect

    from marketplace import demo

    assert server_config("127.0.0.1", 8000).http is BoundedHttpTools
    assert "http=BoundedHttpTools" in inspect.getsource(demo.run_demo)
    assert "raise_open_files_limit()" in inspect.getsource(demo.run_demo)


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[LiveServer]:
    # As under systemd: a soft limit of 1,024 open files that the server inherits (the hard limit is higher).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    low = min(1024, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (low, hard))
    try:
        server = start_serve(database_url, tmp_path / "var", workers=2)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    try:
        yield server
    finally:
        server.stop()


def _workers_open_files(base: str) -> list[int]:
    port = base.rsplit(":", 1)[1]
    limits = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().split(b"\0")
            text = (proc / "limits").read_text()
        except OSError:
            continue
        if b"serve" in command and port.encode() in command:
            line = next(row for row in text.splitlines() if row.startswith("Max open files"))
            limits.append(int(line.split()[3]))
    return limits


def test_a_real_server_refuses_a_huge_header_counts_a_client_that_left_as_4xx_and_lifts_its_file_limit(
    served: LiveServer,
) -> None:
    base = served.base_url
    sock = _connect(base)
    with contextlib.suppress(OSError):  # the server may close while the rest is still being sent
        sock.sendall(
            b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (4 * MAX_HEADER_BYTES) + b"\r\n\r\n"
        )
    assert _answer(sock).startswith(b"HTTP/1.1 431")
    assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200

    # Leaving in the middle of a form's body: a 4xx in the metrics, no traceback in the log.
    for _ in range(3):
        sock = _connect(base)
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 1000\r\n\r\nusername=half"
        )
        time.sleep(0.3)
        sock.close()
    time.sleep(1)
    metrics = httpx.get(f"{base}/metrics", timeout=10).text
    login_lines = [
        line for line in metrics.splitlines() if 'route="/login"' in line and line.startswith("marketplace_http")
    ]
    assert any('status="4xx"' in line for line in login_lines), login_lines
    assert not any('status="5xx"' in line for line in login_lines), login_lines
    assert "unhandled error" not in served.output()

    # Two workers, each allowed as many files as the hard limit lets it (not 1,024).
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    limits = _workers_open_files(base)
    assert len(limits) >= 2 and all(limit == hard or limit > 1024 for limit in limits), limits


def test_raising_the_open_files_limit_reaches_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
        assert raise_open_files_limit() == hard == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
