"""Prometheus metrics: requests by route template, latency, jobs, matching rounds, processes; ``GET /metrics``.

Under ``marketplace serve`` every worker writes to shared files (see ``marketplace.serving.metrics_files``)
and a scrape, answered by any one worker, sums them all. Elsewhere (tests, ``marketplace demo``, a CLI
command) the counts stay in the process. Who may read: ``MetricsAccess``; docs/observability.md.
"""

import asyncio
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from litestar import Controller, Litestar, Response, get
from litestar.datastructures import Headers, State
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.security.authentication import bearer_token
from marketplace.security.client import client_address
from marketplace.security.guards import PUBLIC
from marketplace.serving.metrics_files import ENV as MULTIPROC_ENV
from marketplace.serving.metrics_files import pids_with_metrics
from marketplace.settings import Settings, SettingsError

logger = logging.getLogger("marketplace.metrics")

# Anything else (a scanner's made-up verb) is counted as "other": labels must stay few.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The classic text format, which every Prometheus (2 and 3) and compatible scraper reads; our names need
# none of the escaping that prometheus_client's newer "version=1.0.0" announces. Litestar adds the charset.
EXPOSITION_TYPE = "text/plain; version=0.0.4"
UNMATCHED = "(unmatched)"  # no route: 404s and 405s from the router, counted under one label
_FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")

HTTP_REQUESTS = Counter(
    "marketplace_http_requests",
    "HTTP requests answered, by method, route template and status class",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "marketplace_http_request_duration_seconds",
    "Seconds from a request's arrival to its last byte sent, by method and route template",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
JOBS = Counter("marketplace_jobs", "Background jobs ended, by kind and outcome", ["kind", "outcome"])
JOB_SECONDS = Histogram(
    "marketplace_job_duration_seconds",
    "Seconds a background job ran, by kind",
    ["kind"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)
ROUND_SECONDS = Histogram(
    "marketplace_round_duration_seconds",
    "Seconds a matching round took from loading to its proposals written, by method",
    ["method"],
    buckets=(0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0),
)
JOB_OUTCOMES = frozenset({"finished", "failed", "retried"})
# Summed over the live workers ("livesum"): a worker that exits takes its share with it.
DB_IN_USE = Gauge(
    "marketplace_db_connections_in_use",
    "Database connections the workers hold now (checked out of their pools)",
    multiprocess_mode="livesum",
)
DB_CAPACITY = Gauge(
    "marketplace_db_connections_capacity",
    "Database connections the workers may hold at most (pool size plus overflow, per worker, summed)",
    multiprocess_mode="livesum",
)


# The labelled children per (method, route, status class): ``labels()`` costs more than the counting
# itself (measured: 20 µs against 5 µs for an increment in multiprocess mode). Bounded by the routes.
_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    method = method if method in _METHODS else "other"
    key = (method, route, status // 100)
    series = _REQUEST_SERIES.get(key)
    if series is None:
        series = (HTTP_REQUESTS.labels(method, route, f"{key[2]}xx"), HTTP_LATENCY.labels(method, route))
        _REQUEST_SERIES[key] = series
    series[0].inc()
    series[1].observe(seconds)


def observe_job(kind: str, outcome: str, seconds: float) -> None:
    """A background job ended ("finished", "failed" or "retried"); cheap, safe from any process or thread."""
    JOBS.labels(kind, outcome if outcome in JOB_OUTCOMES else "other").inc()
    JOB_SECONDS.labels(kind).observe(max(seconds, 0.0))


def observe_round(seconds: float, method: str) -> None:
    """A matching round finished after ``seconds`` ("optimal" or "greedy")."""
    ROUND_SECONDS.labels(method).observe(max(seconds, 0.0))


def watch_pool(engine: sa.Engine, capacity: int) -> None:
    """Keep the in-use gauge equal to the pool's own count at every checkout and checkin (no drift)."""
    DB_CAPACITY.set(capacity)
    pool = engine.pool

    def update(*_: Any) -> None:
        checked_out = getattr(pool, "checkedout", None)
        if checked_out is not None:
            DB_IN_USE.set(checked_out())

    event.listen(engine, "checkout", update)
    event.listen(engine, "checkin", update)


def instrument(app: Litestar) -> None:
    """Count and time every request, routed or not, around the whole application.

    Litestar's own middleware runs only for requests that matched a route, so this wraps the
    application's handler the way Litestar wraps it for OpenTelemetry; the route template is in the
    scope once the router has run, so ids in paths never become labels.
    """
    inner: ASGIApp = app.asgi_handler

    async def handle(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await inner(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await inner(scope, receive, send_with_status)
        finally:
            route = scope.get("path_template") or UNMATCHED  # type: ignore[typeddict-item]
            observe_request(scope.get("method", "GET"), route, status, time.perf_counter() - started)

    app.asgi_handler = handle


class MetricsAccess:
    """Who may read ``/metrics``: a client at an allowed address, or whoever sends the metrics bearer secret.

    A request that arrived through a proxy the settings do not trust (it carries X-Forwarded-For,
    Forwarded or X-Real-IP) is never admitted by address: its peer is the proxy, and a proxy on the
    same machine would otherwise open the figures to the whole internet.
    """

    def __init__(self, settings: Settings) -> None:
        self.trusted_proxies = settings.trusted_proxies
        self.token = settings.metrics_token.encode()
        try:
            self.networks = [ipaddress.ip_network(entry, strict=False) for entry in settings.metrics_allow]
        except ValueError as error:
            raise SettingsError(f"MARKETPLACE_METRICS_ALLOW: {error}") from error

    def admits(self, scope: Scope) -> bool:
        headers = Headers.from_scope(scope)
        bearer = bearer_token(headers)
        if self.token and bearer is not None and hmac.compare_digest(bearer.encode(), self.token):
            return True
        address = client_address(scope, self.trusted_proxies)
        peer = str((scope.get("client") or ("", 0))[0])
        if address == peer and any(name in headers for name in _FORWARDING_HEADERS):
            return False  # forwarded by a proxy nobody declared: the peer says nothing of the client
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)


class _JobQueue(Collector):
    """Job queue depth and failed jobs, read from the database when scraped (no counting to drift)."""

    def __init__(self, reader_factory: sessionmaker[Session]) -> None:
        self.reader_factory = reader_factory

    def collect(self) -> Iterator[Metric]:
        try:
            from marketplace.jobs.services import failed_count, queue_depth  # type: ignore[import-not-found,unused-ignore]
        except ImportError:  # no jobs in this version
            return
        try:
            with self.reader_factory() as db:
                depth: dict[str, int] = queue_depth(db)
                failed: int = failed_count(db)
        except Exception as error:  # whatever the jobs code raises, the scrape answers with the rest
            logger.warning("metrics: job queue not read: %s", error)
            return
        waiting = GaugeMetricFamily(
            "marketplace_job_queue_depth", "Jobs waiting or running now, by status", labels=["status"]
        )
        for status, count in sorted(depth.items()):
            waiting.add_metric([status], count)
        yield waiting
        yield GaugeMetricFamily("marketplace_jobs_failed", "Jobs in the failed state now", value=failed)


class _WorkerProcesses(Collector):
    """CPU, memory, open files and start time of every live worker, labelled by pid.

    prometheus_client's process collector reports only the process it runs in, and multiprocess mode
    drops it; /proc of the sibling workers is readable, so the scraping worker reads them all.
    """

    def collect(self) -> Iterator[Metric]:
        merged: dict[str, Metric] = {}
        for pid in pids_with_metrics():
            collector = ProcessCollector(pid=lambda pid=pid: pid, registry=None)  # type: ignore[misc]
            for family in collector.collect():
                target = merged.setdefault(family.name, Metric(family.name, family.documentation, family.type))
                for sample in family.samples:
                    target.add_sample(sample.name, {**sample.labels, "pid": str(pid)}, sample.value)
        yield from merged.values()


def exposition(reader_factory: sessionmaker[Session]) -> bytes:
    """The text exposition format: this process's or all workers' metrics, plus what is read now."""
    now = CollectorRegistry()
    now.register(_JobQueue(reader_factory))
    if os.environ.get(MULTIPROC_ENV):
        shared = CollectorRegistry()
        MultiProcessCollector(shared)
        now.register(_WorkerProcesses())
        return generate_latest(shared) + generate_latest(now)
    return generate_latest(REGISTRY) + generate_latest(now)


# Scrapes read files and the database: on threads of their own, like the health checks.
_SCRAPES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metrics")


class MetricsController(Controller):
    # Public for the route guards: the address or the bearer secret decides (MetricsAccess), not a user.
    opt = PUBLIC
    tags = ["system"]
    include_in_schema = False

    @get("/metrics", operation_id="metrics", summary="Prometheus metrics (text exposition format)")
    async def metrics(self, state: State, scope: Scope) -> Response[bytes]:
        access: MetricsAccess = state.metrics_access
        if not access.admits(scope):
            body = b"metrics are read from allowed addresses or with the metrics token\n"
            return Response(body, status_code=403, media_type="text/plain")
        loop = asyncio.get_running_loop()
        body = await loop.run_in_executor(_SCRAPES, exposition, state.reader_factory)
        return Response(body, media_type=EXPOSITION_TYPE, headers={"Cache-Control": "no-store"})


def install(app: Litestar, settings: Settings) -> None:
    """Count requests and decide who reads /metrics (the route itself is among the app's handlers)."""
    app.state.metrics_access = MetricsAccess(settings)
    watch_pool(app.state.engine, settings.database.pool_size + settings.database.max_overflow)
    instrument(app)
