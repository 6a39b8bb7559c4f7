"""``GET /readyz``: may this worker be sent traffic? The database answers, its schema is at the newest
migration, and Redis answers when jobs go through it (``MARKETPLACE_REDIS_URL``).

``/healthz`` says the process is alive and reaches the database; ``/readyz`` is for a deployment that
must not send requests to a new release before ``marketplace db upgrade`` has run, or while the job
queue is away. Both answer within a few seconds whatever the database does: the checks run on threads
of their own (never the request threads, never the event loop) under a deadline.
"""

import asyncio
import functools
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from msgspec import Struct
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.security.guards import PUBLIC
from marketplace.settings import Settings

# A probe that gets no answer within this many seconds reports the check as timed out.
CHECK_DEADLINE_SECONDS = 3.0
# Threads of the readiness checks only: a probe never queues behind busy pages' handlers.
_READY_CHECKS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="ready")


class Readiness(Struct):
    status: str  # "ready" or "unavailable"
    checks: dict[str, str]  # each check's answer: "ok", or what is wrong


@functools.cache
def head_revisions() -> tuple[str, ...]:
    """The newest migration(s) this code ships, read once from the migration scripts."""
    from alembic.script import ScriptDirectory

    from marketplace.db.migrate import alembic_config

    return tuple(sorted(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()))


def check_database(reader_factory: sessionmaker[Session]) -> dict[str, str]:
    """Whether the database answers and which migration it is at, in one connection."""
    from alembic.runtime.migration import MigrationContext

    try:
        with reader_factory() as session:
            current = MigrationContext.configure(session.connection()).get_current_heads()
    except sa.exc.SQLAlchemyError:
        return {"database": "unreachable", "migrations": "unknown"}
    heads = head_revisions()
    if not current:
        return {"database": "ok", "migrations": f"not migrated (head {', '.join(heads)})"}
    if tuple(sorted(current)) != heads:
        return {"database": "ok", "migrations": f"at {', '.join(current)}, head {', '.join(heads)}"}
    return {"database": "ok", "migrations": "ok"}


@functools.cache
def _redis_client(url: str, pid: int) -> Any:
    import redis

    # One client per process (a forked worker must not share its parent's sockets), short timeouts.
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def check_redis(url: str) -> dict[str, str]:
    import redis

    try:
        _redis_client(url, os.getpid()).ping()
    except (redis.RedisError, OSError):
        return {"redis": "unreachable"}
    return {"redis": "ok"}


def redis_url_of(settings: Settings) -> str | None:
    """The job queue's Redis, if the deployment has one (read defensively: the setting came with jobs)."""
    url = getattr(settings, "redis_url", None) or settings.extra.get("redis_url")
    return str(url) if url else None


async def readiness(state: State) -> Readiness:
    loop = asyncio.get_running_loop()
    pending: dict[str, asyncio.Future[dict[str, str]]] = {
        "database": loop.run_in_executor(_READY_CHECKS, check_database, state.reader_factory)
    }
    redis_url = redis_url_of(state.settings)
    if redis_url:
        pending["redis"] = loop.run_in_executor(_READY_CHECKS, check_redis, redis_url)
    await asyncio.wait(pending.values(), timeout=CHECK_DEADLINE_SECONDS)
    checks: dict[str, str] = {}
    for name, future in pending.items():
        if future.done():
            checks |= future.result()
        else:
            checks[name] = "timed out"
            if name == "database":
                checks["migrations"] = "unknown"
    ready = all(answer == "ok" for answer in checks.values())
    return Readiness(status="ready" if ready else "unavailable", checks=checks)


class ReadinessController(Controller):
    opt = PUBLIC  # load balancers and orchestrators ask without credentials, like /healthz
    tags = ["system"]

    @get(
        "/readyz",
        operation_id="readiness",
        summary="Readiness: database, migrations at head, Redis when configured",
        responses={503: ResponseSpec(Readiness, description="A check failed; the body names it")},
    )
    async def ready(self, state: State) -> Response[Readiness]:
        answer = await readiness(state)
        if answer.status != "ready":
            return Response(answer, status_code=HTTP_503_SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})
        return Response(answer)
