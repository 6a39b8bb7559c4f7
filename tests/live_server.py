"""Run ``marketplace demo`` as a real process on a free port, as a newcomer would."""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

# Linux sends a child its "parent died" signal when the *thread* that started it ends, so every server is
# started from this one thread, which lives as long as the test process (tests start servers from pools too).
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-server-spawner")


def _dies_with(parent_pid: int) -> Callable[[], None] | None:
    """For ``preexec_fn``: the child gets SIGTERM when the test process dies, even by SIGKILL, so a killed
    pytest leaves no server behind (``serve`` then stops its own workers). None where prctl is not Linux's."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)

    def set_parent_death_signal() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return set_parent_death_signal


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=15)
        # serve --workers forks: its own process group goes with it.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def start_marketplace(
    arguments: list[str], var_dir: Path, *, settings: dict[str, str] | None = None, timeout: float = 120.0
) -> LiveServer:
    """``python -m marketplace <arguments> --port P`` on a free port, in its own process group, with only the
    ``MARKETPLACE_*`` settings given here (never the caller's); returns once ``/healthz`` answers.
    The server is sent SIGTERM should the test process die without stopping it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    env["MARKETPLACE_VAR_DIR"] = str(var_dir)
    env |= {f"MARKETPLACE_{name}": value for name, value in (settings or {}).items()}
    var_dir.mkdir(parents=True, exist_ok=True)
    log_path = var_dir / f"{arguments[0]}-{port}.log"
    with log_path.open("wb") as log:
        process = _SPAWNER.submit(
            subprocess.Popen,
            [sys.executable, "-m", "marketplace", *arguments, "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_dies_with(os.getpid()),
        ).result()
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    if wait_until_healthy(server.base_url, process, timeout):
        return server
    exited = process.poll()
    server.stop()
    state = f"exited with {exited}" if exited is not None else f"did not answer within {timeout} s"
    raise RuntimeError(f"marketplace {arguments[0]} {state}:\n{server.output()}")


def start_demo(var_dir: Path, *, timeout: float = 180.0) -> LiveServer:
    """``python -m marketplace demo`` on a fresh SQLite database under ``var_dir``."""
    return start_marketplace(["demo"], var_dir, timeout=timeout)


def start_serve(
    database_url: str,
    var_dir: Path,
    *,
    settings: dict[str, str] | None = None,
    workers: int = 1,
    timeout: float = 120.0,
) -> LiveServer:
    """``python -m marketplace serve --workers N`` on a database already migrated."""
    settings = {"DATABASE_URL": database_url, **(settings or {})}
    return start_marketplace(["serve", "--workers", str(workers)], var_dir, settings=settings, timeout=timeout)


def wait_until_healthy(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    """True once ``/healthz`` answers 200; False if the process exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False
