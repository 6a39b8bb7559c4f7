"""Rounds run off the request as jobs (kind ``match.round``, rounds/jobs.py), with a heartbeat beside them.

A round takes seconds to minutes; the request that starts it only queues it and returns. The job
(on a ``marketplace worker`` when MARKETPLACE_REDIS_URL is set, else on a thread of the app's
process) runs ``services.run``; a heartbeat thread writes the tracker's progress to the round's row every
``BEAT_SECONDS`` (so the page's poll sees it, from any app process), and keeps ``heartbeat_at``
fresh even while the solver works, so a round that stops beating was interrupted. Threads, not
processes: the indexes are cached per process (recommend/services.py) and NumPy and HiGHS release
the GIL while they compute, so the app keeps answering.
"""

import logging
import threading
from collections.abc import Callable

from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.jobs import services as jobs_services
from marketplace.rounds import services

log = logging.getLogger(__name__)

BEAT_SECONDS = 0.5


def run_with_heartbeat(
    round_id: int,
    writer: sessionmaker[Session],
    reader: sessionmaker[Session],
    *,
    client_address: str | None = None,
    on_beat: Callable[[services.Tracker], None] | None = None,
    fence: Callable[[Session], None] | None = None,
) -> None:
    """Run the round here, beating on a second thread until it ends (the command line calls this too)."""
    tracker = services.Tracker()
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(BEAT_SECONDS):
            try:
                if on_beat is not None:
                    on_beat(tracker)
                if not services.beat(writer, round_id, tracker):
                    return
            except Exception:  # a missed beat is not a failed round; the next one may get through
                log.warning("heartbeat of round %s failed", round_id, exc_info=True)

    beating = threading.Thread(target=heartbeat, name=f"match-round-{round_id}-heartbeat", daemon=True)
    beating.start()
    try:
        services.run(round_id, writer, reader, tracker, client_address, fence)
    finally:
        stop.set()
        beating.join()
        if on_beat is not None:
            on_beat(tracker)


def wait(round_id: int | None = None, timeout: float = 120.0) -> bool:
    """Wait for the jobs running on threads of this process (rounds among them); True when none still runs."""
    return jobs_services.wait(None, timeout)
