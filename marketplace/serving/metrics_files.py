"""Where the server's worker processes keep their metrics, so one scrape of ``/metrics`` sums them all.

prometheus_client's multiprocess mode: every process writes its counters and histograms to memory-mapped
files in ``PROMETHEUS_MULTIPROC_DIR`` and the worker that answers a scrape reads every file. The variable
must be set before prometheus_client is first imported (it picks its value class at import), so this
module imports nothing of it; ``marketplace serve`` calls ``use_metrics_dir`` before it imports the app.
"""

import contextlib
import os
import re
from pathlib import Path

from marketplace.settings import DEFAULT_VAR_DIR

ENV = "PROMETHEUS_MULTIPROC_DIR"
# counter_1234.db, histogram_1234.db, gauge_livesum_1234.db: the number is the writer's pid.
_FILE_PID = re.compile(r"_(\d+)\.db$")


def default_metrics_dir() -> Path:
    return Path(os.environ.get("MARKETPLACE_VAR_DIR") or DEFAULT_VAR_DIR) / "prometheus"


def use_metrics_dir(directory: Path | None = None, *, clean: bool = True) -> Path:
    """Point prometheus_client at a shared directory (an operator's ``PROMETHEUS_MULTIPROC_DIR`` wins).

    ``clean`` removes the files of processes that are gone: the counts of a previous run must not be
    added to this one's (Prometheus reads the drop as a counter reset). Files of live processes stay,
    so a job worker sharing the directory keeps its counts when the web server restarts.
    """
    chosen = Path(os.environ.get(ENV) or directory or default_metrics_dir())
    chosen.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(chosen)
    if clean:
        for path in chosen.glob("*.db"):
            match = _FILE_PID.search(path.name)
            if match is None or not _alive(int(match.group(1))):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
    return chosen


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return True


def worker_exited(pid: int) -> None:
    """Bookkeeping for a worker that is gone (its live gauges must stop counting); no-op without the mode."""
    if ENV not in os.environ:
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)


def pids_with_metrics() -> list[int]:
    """The live processes that have written metrics to the shared directory (for their process metrics)."""
    directory = os.environ.get(ENV)
    if not directory:
        return [os.getpid()]
    found = {os.getpid()}
    for path in Path(directory).glob("*.db"):
        match = _FILE_PID.search(path.name)
        if match is not None:
            found.add(int(match.group(1)))
    return sorted(pid for pid in found if _alive(pid))
