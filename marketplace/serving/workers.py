"""``marketplace serve --workers N``: N server processes forked from one that has imported the app.

Why not uvicorn's own ``--workers``: it spawns each child, which imports everything again (seconds of
CPU, more on a busy machine) before answering a health check with a 5 s deadline, so busy machines
saw workers killed and restarted in a loop; and all children accept from one shared socket, so with
keep-alive one process took nearly every connection. Here the parent imports the application once
and forks (a child is serving in a fraction of a second and shares the imported code's memory), and
every child listens on a socket of its own bound with ``SO_REUSEPORT``: the kernel spreads new
connections over the children. The parent only watches: a child that dies is forked again; SIGTERM
or SIGINT is passed on, and each child finishes its requests in flight before it exits.
"""

import contextlib
import ctypes
import ctypes.util
import gc
import logging
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field

import uvicorn

from marketplace.security.slow_clients import BoundedHttpTools, raise_open_files_limit
from marketplace.serving.connection_budget import warn_if_over
from marketplace.serving.metrics_files import use_metrics_dir, worker_exited
from marketplace.settings import Settings

APP_FACTORY = "marketplace.asgi:app_from_env"
# Seconds a stopping worker may take to finish the requests it is serving.
GRACEFUL_SECONDS = 30
# A worker that dies this soon after it was forked, this many times in a row, is not coming back.
QUICK_DEATH_SECONDS = 5.0
QUICK_DEATHS_ALLOWED = 5
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

logger = logging.getLogger("marketplace.serve")


def server_config(host: str, port: int) -> uvicorn.Config:
    """The server settings every worker shares."""
    return uvicorn.Config(
        APP_FACTORY,
        factory=True,
        host=host,
        port=port,
        # The application decides whose X-Forwarded-For to believe (MARKETPLACE_TRUSTED_PROXIES);
        # uvicorn's own handling would believe anyone on 127.0.0.1 first.
        proxy_headers=False,
        server_header=False,
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        # A cap on a request's headers and deadlines for reading it (docs/SECURITY.md, third probe).
        http=BoundedHttpTools,
    )


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket of this worker's own on a port the other workers listen on too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class Worker:
    number: int
    sock: socket.socket
    pid: int = 0
    started_at: float = 0.0
    quick_deaths: int = 0


@dataclass
class Supervisor:
    config: uvicorn.Config
    workers: list[Worker]
    stopping: bool = False
    exit_code: int = 0
    _signals: list[int] = field(default_factory=list)

    def run(self) -> int:
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda number, _frame: self._signals.append(number))
        for worker in self.workers:
            self._fork(worker)
        logger.info("serving on http://%s:%s with %d workers", self.config.host, self.config.port, len(self.workers))
        while any(worker.pid for worker in self.workers):
            if self._signals and not self.stopping:
                self._stop(f"signal {signal.Signals(self._signals[-1]).name}")
            self._reap()
            time.sleep(0.1)
        return self.exit_code

    def _fork(self, worker: Worker) -> None:
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: serve until told to stop, on its own socket only
            for other in self.workers:
                if other is not worker:
                    other.sock.close()
            os._exit(_serve_in_child(self.config, worker.sock, parent))
        worker.pid, worker.started_at = pid, time.monotonic()
        logger.info("worker %d started (pid %d)", worker.number, pid)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            worker = next((w for w in self.workers if w.pid == pid), None)
            if worker is None:
                continue
            worker.pid = 0
            worker_exited(pid)  # its metrics files stay (the counts it served), its live gauges go
            if self.stopping:
                logger.info("worker %d stopped", worker.number)
                continue
            self._replace(worker, os.waitstatus_to_exitcode(status))

    def _replace(self, worker: Worker, exit_code: int) -> None:
        quick = time.monotonic() - worker.started_at < QUICK_DEATH_SECONDS
        worker.quick_deaths = worker.quick_deaths + 1 if quick else 0
        logger.error("worker %d (pid %d) exited with %d", worker.number, worker.pid, exit_code)
        if worker.quick_deaths >= QUICK_DEATHS_ALLOWED:
            self.exit_code = 1
            self._stop(f"worker {worker.number} keeps failing at start")
            return
        self._fork(worker)

    def _stop(self, why: str) -> None:
        self.stopping = True
        logger.info("stopping (%s): workers finish their requests in flight", why)
        for worker in self.workers:
            if worker.pid:
                _signal(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACEFUL_SECONDS + 5
        while any(w.pid for w in self.workers) and time.monotonic() < deadline:
            self._reap()
            time.sleep(0.1)
        for worker in self.workers:
            if worker.pid:
                logger.warning("worker %d did not stop in time; killing it", worker.number)
                _signal(worker.pid, signal.SIGKILL)
        self._reap()


def _stop_when_orphaned(parent: int) -> None:
    """Ask the kernel for SIGTERM when the supervisor dies, even by SIGKILL: no worker outlives it
    holding the port and database connections (Linux; elsewhere the supervisor's own stop must do)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the supervisor died before the request was made
        os.kill(os.getpid(), signal.SIGTERM)


def _signal(pid: int, number: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def _serve_in_child(config: uvicorn.Config, sock: socket.socket, parent: int) -> int:
    for number in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(number, signal.SIG_DFL)  # uvicorn installs its own graceful handlers
    _stop_when_orphaned(parent)
    try:
        uvicorn.Server(config).run(sockets=[sock])
    except BaseException:
        logger.exception("worker failed")
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def serve(host: str, port: int, workers: int) -> int:
    """Serve on host:port with ``workers`` processes; returns the exit code."""
    from marketplace.serving.logs import configure_logging

    configure_logging()
    raise_open_files_limit()  # idle connections must not use up 1,024 files (security/slow_clients.py)
    config = server_config(host, port)
    # Before prometheus_client is imported (with the app): every worker's metrics go to shared files.
    use_metrics_dir()
    # Import the whole application once, here, so every forked worker starts with it loaded.
    import marketplace.asgi  # noqa: F401
    from marketplace.system.health import head_revisions

    head_revisions()  # the migration scripts are read once, here, not by every worker's first /readyz
    warn_if_over(Settings.from_env().database, workers)

    # Keep the quarter of a million imported objects out of the collector's reach: a full collection
    # over them paused a worker for about 0.2 s, and its passes would write to (and so copy) every
    # page the workers share with this process.
    gc.collect()
    gc.freeze()
    if workers <= 1:
        uvicorn.Server(config).run()
        return 0

    try:
        sockets = [listening_socket(host, port) for _ in range(workers)]
    except OSError as error:
        logger.error("cannot listen on %s:%s: %s", host, port, error)
        return 1
    return Supervisor(config, [Worker(number, sock) for number, sock in enumerate(sockets, 1)]).run()
