"""Scheduled work: the sweeps a street needs on a clock, as SAQ cron jobs of ``marketplace worker``.

``MARKETPLACE_SCHEDULE`` lists ``KIND=CRON`` entries separated by ``;`` (cron in the street's time,
Asia/Shanghai), e.g. ``offers.expire=*/15 * * * *; needs.escalate=0 * * * *``; ``off`` schedules
nothing; unset, the defaults below. Each run is recorded as a job row keyed by its kind and minute
(``schedule:offers.expire:2026-12-03T08:15``): the key is unique, so however many workers fire the
same minute, one row is recorded and one run happens.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from marketplace.street_clock import STREET_TIMEZONE

SCHEDULABLE = (
    "offers.expire",
    "needs.escalate",
    "privacy.retention",
    "match.train",
    "shifts.remind",
    "notifications.digest",
    "jobs.prune",
    "rounds.schedule",
)
DEFAULT_SCHEDULE: tuple[tuple[str, str], ...] = (
    ("offers.expire", "*/15 * * * *"),
    ("needs.escalate", "*/10 * * * *"),
    ("privacy.retention", "30 3 * * *"),
    ("shifts.remind", "*/15 * * * *"),
    ("notifications.digest", "0 18 * * *"),
    ("jobs.prune", "45 3 * * *"),
    # The streets' own round times (rounds/schedule.py): a round starts within 15 minutes of its time.
    ("rounds.schedule", "*/15 * * * *"),
)
OFF = ("off", "none")


class ScheduleError(ValueError):
    """MARKETPLACE_SCHEDULE is malformed; the message says which entry and why."""


def parse_schedule(value: str | None) -> tuple[tuple[str, str], ...]:
    """``"offers.expire=*/15 * * * *; needs.escalate=0 * * * *"`` → ((kind, cron), ...); a clear error otherwise."""
    if value is None or not value.strip():
        return DEFAULT_SCHEDULE
    if value.strip().lower() in OFF:
        return ()
    from croniter import croniter  # half a second to import: only when a schedule is given

    entries: list[tuple[str, str]] = []
    for item in value.split(";"):
        if not item.strip():
            continue
        kind, sep, cron = (part.strip() for part in item.partition("="))
        if not sep or kind not in SCHEDULABLE:
            raise ScheduleError(
                f"MARKETPLACE_SCHEDULE: {item.strip()!r} is not KIND=CRON with KIND one of {', '.join(SCHEDULABLE)}"
            )
        if len(cron.split()) != 5 or not croniter.is_valid(cron):
            raise ScheduleError(
                f"MARKETPLACE_SCHEDULE: {kind}={cron!r} is not a cron expression of five fields "
                "(minute hour day-of-month month day-of-week), e.g. */15 * * * *"
            )
        if kind in dict(entries):
            raise ScheduleError(f"MARKETPLACE_SCHEDULE: {kind} is scheduled twice")
        entries.append((kind, cron))
    return tuple(entries)


def slot(scheduled: int) -> str:
    """The minute a scheduled run was due (UTC), as it is recorded: 2026-12-03T08:15."""
    due = datetime.fromtimestamp(scheduled or datetime.now(UTC).timestamp(), UTC)
    return due.strftime("%Y-%m-%dT%H:%M")


def slot_key(kind: str, minute: str) -> str:
    """The unique key of one scheduled run."""
    return f"schedule:{kind}:{minute}"


def cron_jobs(schedule: tuple[tuple[str, str], ...], run: Callable[[dict[str, Any], str], str]) -> list[Any]:
    """SAQ cron jobs, one per entry, each calling ``run(ctx, kind)`` on the worker's thread pool."""
    from saq import CronJob

    jobs = []
    for kind, cron in schedule:

        def scheduled(ctx: dict[str, Any], *, _kind: str = kind) -> str:
            return run(ctx, _kind)

        # SAQ names a cron function by its __qualname__ (its unique key in Redis and in the worker).
        scheduled.__qualname__ = scheduled.__name__ = f"scheduled:{kind}"
        jobs.append(CronJob(scheduled, cron=cron, timeout=0, retries=1))
    return jobs


CRON_TIMEZONE = STREET_TIMEZONE
