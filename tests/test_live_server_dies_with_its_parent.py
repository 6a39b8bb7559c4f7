"""A server a test started goes away when the test process is killed (a CI timeout, Ctrl-C twice, the OOM
killer): ``tests.live_server`` asks Linux to send it SIGTERM once its parent dies, so no orphaned
``marketplace serve`` keeps its port and database open."""

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from marketplace.db.migrate import upgrade
from tests.live_server import PROJECT_ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's"),
]

# A stand-in for pytest: starts a server the way the fixtures do, says which, then waits to be killed.
PARENT = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from tests.live_server import start_serve
    server = start_serve(sys.argv[1], Path(sys.argv[2]))
    print(server.process.pid, server.base_url, flush=True)
    time.sleep(600)
    """
)


def _gone(pid: int) -> bool:
    """No such process any more, or only its exit status waiting to be collected."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def test_a_server_dies_when_the_test_process_that_started_it_is_killed(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'parent.sqlite3'}"
    upgrade(database_url)
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, database_url, str(tmp_path / "var")],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    child_pid = 0
    try:
        assert parent.stdout is not None
        child_pid_text, base_url = parent.stdout.readline().split()
        child_pid = int(child_pid_text)
        assert httpx.get(f"{base_url}/healthz", timeout=10).status_code == 200

        parent.kill()  # SIGKILL: the parent gets no chance to stop its server
        parent.wait(timeout=30)

        deadline = time.monotonic() + 60
        while not _gone(child_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(child_pid), f"the server (pid {child_pid}) outlived the test process that started it"
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{base_url}/healthz", timeout=5)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=30)
        if child_pid and not _gone(child_pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(child_pid, signal.SIGKILL)
