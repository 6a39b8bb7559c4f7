"""``marketplace serve --workers N`` as an operator runs it: a real process tree on 127.0.0.1.

Every worker answers (the kernel spreads keep-alive connections over them), every log line has one
format and carries the request id that the response echoes, and SIGTERM lets a request in flight
finish before the processes exit.
"""

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.live_server import PROJECT_ROOT, free_port, wait_until_healthy

LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ \[(\d+)\] [\w.]+ req=(\S+) ")


@dataclass
class Served:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(encoding="utf-8", errors="replace").splitlines()


def _serve(database_url: str, var_dir: Path, workers: int) -> Served:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    env |= {
        "MARKETPLACE_DATABASE_URL": database_url,
        "MARKETPLACE_VAR_DIR": str(var_dir),
        "MARKETPLACE_SECRET_KEY": "serving-test-key",
        "MARKETPLACE_ACCESS_LOG": "1",
    }
    log_path = var_dir / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "marketplace", "serve", "--port", str(port), "--workers", str(workers)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, so teardown can reach every worker
        )
    served = Served(f"http://127.0.0.1:{port}", process, log_path)
    if wait_until_healthy(served.base_url, process, timeout=120):
        return served
    process.kill()
    raise AssertionError("serve did not answer:\n" + "\n".join(served.log_lines()))


@pytest.fixture
def two_workers(database_url: str, clean_engine: sa.Engine, tmp_path: Path) -> Iterator[Served]:
    served = _serve(database_url, tmp_path, workers=2)
    try:
        yield served
    finally:
        if served.process.poll() is None:
            served.process.terminate()
            try:
                served.process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                served.process.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(served.process.pid, signal.SIGKILL)  # whatever is left of the group


def _worker_pids(served: Served) -> set[int]:
    parent = served.process.pid
    started = {int(m[1]) for line in served.log_lines() if (m := re.search(r"started \(pid (\d+)\)", line))}
    assert parent not in started
    return started


def test_two_workers_both_serve_keep_alive_connections_and_log_the_request_id(two_workers: Served) -> None:
    pids = _worker_pids(two_workers)
    assert len(pids) == 2

    def client_session(n: int) -> list[httpx.Response]:
        # One keep-alive connection per client, several requests on it.
        with httpx.Client(base_url=two_workers.base_url, timeout=30) as client:
            return [client.get("/healthz", headers={"X-Request-ID": f"probe-{n}-{i}"}) for i in range(5)]

    with ThreadPoolExecutor(max_workers=16) as pool:
        responses = [r for batch in pool.map(client_session, range(16)) for r in batch]
    assert {r.status_code for r in responses} == {200}
    assert {r.headers["x-request-id"] for r in responses} == {f"probe-{n}-{i}" for n in range(16) for i in range(5)}

    time.sleep(0.5)  # let the access log reach the file
    served_by: dict[str, int] = {}
    for line in two_workers.log_lines():
        match = LOG_LINE.match(line)
        assert match, f"a log line in another format: {line!r}"
        if match[2].startswith("probe-"):
            served_by[match[2]] = int(match[1])
    assert len(served_by) == 80
    # Sixteen connections over two listening sockets: both workers took some of them.
    assert set(served_by.values()) == pids


def test_a_made_up_request_id_is_replaced_by_one_of_ours(two_workers: Served) -> None:
    response = httpx.get(f"{two_workers.base_url}/healthz", headers={"X-Request-ID": "forged id; admin=1 " + "x" * 80})
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-request-id"])


def test_a_dead_worker_is_replaced(two_workers: Served) -> None:
    first, _ = sorted(_worker_pids(two_workers))
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while len(_worker_pids(two_workers)) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(_worker_pids(two_workers)) == 3, "\n".join(two_workers.log_lines())
    for _ in range(20):
        assert httpx.get(f"{two_workers.base_url}/healthz", timeout=10).status_code == 200


def test_sigterm_lets_a_request_in_flight_finish_then_every_process_exits(two_workers: Served) -> None:
    host, port = "127.0.0.1", int(two_workers.base_url.rsplit(":", 1)[1])
    body = b"title=x&csrf_token=none"
    with socket.create_connection((host, port), timeout=30) as conn:
        # Headers sent, body not yet: the request is in flight when the signal arrives.
        conn.sendall(
            b"POST /submit HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
        )
        time.sleep(0.5)
        two_workers.process.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        conn.sendall(body)
        answer = conn.recv(65536)
    assert re.match(rb"HTTP/1.1 \d{3} ", answer), answer[:200]
    assert two_workers.process.wait(timeout=45) == 0
    log = "\n".join(two_workers.log_lines())
    assert "worker 1 stopped" in log and "worker 2 stopped" in log


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too: it only waits for its (new) parent to collect it.
    with contextlib.suppress(FileNotFoundError):
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return False


def test_workers_stop_when_the_supervisor_is_killed_outright(two_workers: Served) -> None:
    workers = _worker_pids(two_workers)
    two_workers.process.kill()  # SIGKILL: the supervisor cannot pass anything on
    two_workers.process.wait(timeout=10)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "workers outlived their supervisor"
