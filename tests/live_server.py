"""Run ``marketplace demo`` as a real process on a free port, as a newcomer would."""

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent


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


def start_demo(var_dir: Path, *, timeout: float = 180.0) -> LiveServer:
    """Start ``python -m marketplace demo`` on a fresh SQLite database under ``var_dir``."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    env["MARKETPLACE_VAR_DIR"] = str(var_dir)
    log_path = var_dir / "demo.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "marketplace", "demo", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    if wait_until_healthy(server.base_url, process, timeout):
        return server
    if process.poll() is not None:
        raise RuntimeError(f"demo exited with {process.returncode}:\n{server.output()}")
    server.stop()
    raise RuntimeError(f"demo did not answer within {timeout} s:\n{server.output()}")


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
