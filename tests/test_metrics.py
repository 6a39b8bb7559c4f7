"""``/metrics`` as Prometheus scrapes it from a real ``marketplace serve --workers 2`` on 127.0.0.1.

One scrape, whichever worker answers it, sums the requests both workers served; requests are labelled
by route template and status class (ids in paths never become labels); only an allowed address or the
metrics bearer secret may read it, and a request a proxy forwarded is not admitted by its address.
"""

import importlib.util
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.settings import DatabaseSettings, Settings, SettingsError
from marketplace.system import metrics
from tests.live_server import LiveServer, start_serve

METRICS_TOKEN = "scrape-secret-for-tests"
ACCESS_LINE = re.compile(r" \[(\d+)\] marketplace\.access req=(\S+) ")


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    settings = {"SECRET_KEY": "metrics-test", "ACCESS_LOG": "1", "METRICS_TOKEN": METRICS_TOKEN}
    served = start_serve(database_url, tmp_path_factory.mktemp("metrics"), workers=2, settings=settings)
    try:
        yield served
    finally:
        served.stop()


def scrape(server: LiveServer, **options: object) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of one scrape (a new connection each time), keyed by name and sorted labels."""
    answer = httpx.get(f"{server.base_url}/metrics", timeout=10, **options)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def requests_of(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], route: str, status: str) -> float:
    labels = (("method", "GET"), ("route", route), ("status", status))
    return samples.get(("marketplace_http_requests_total", labels), 0.0)


def test_one_scrape_sums_the_requests_of_both_workers(server: LiveServer) -> None:
    before = requests_of(scrape(server), "/healthz", "2xx")
    ids = [f"sum-{n}" for n in range(30)]
    for request_id in ids:  # a new connection each: the kernel spreads them over the workers
        assert httpx.get(f"{server.base_url}/healthz", headers={"X-Request-ID": request_id}).status_code == 200

    served_by = {m[2]: m[1] for line in server.output().splitlines() if (m := ACCESS_LINE.search(line))}
    per_worker = {pid: sum(1 for i in ids if served_by.get(i) == pid) for pid in set(served_by.values())}
    busy = {pid: count for pid, count in per_worker.items() if count}
    assert len(busy) == 2, f"both workers should have served some of the 30: {per_worker}"
    for _ in range(4):  # whichever worker answers the scrape, it counts both workers' requests
        samples = scrape(server)
        assert requests_of(samples, "/healthz", "2xx") - before == 30
        pids = {dict(labels)["pid"] for name, labels in samples if name == "process_resident_memory_bytes"}
        assert set(busy) <= pids  # every worker's memory, labelled by its pid
        latency = (("method", "GET"), ("route", "/healthz"))
        assert samples[("marketplace_http_request_duration_seconds_count", latency)] >= 30
        # The database pools of both live workers: 20 + 10 connections each at most.
        assert samples[("marketplace_db_connections_capacity", ())] == 2 * 30
        assert 0 <= samples[("marketplace_db_connections_in_use", ())] <= 2 * 30


def test_requests_are_labelled_by_route_template_never_by_raw_path(server: LiveServer) -> None:
    before = scrape(server)
    for path in ("/api/v1/needs/48151", "/api/v1/needs/62342", "/no/such/page/77777"):
        httpx.get(f"{server.base_url}{path}")
    httpx.request("PROPFIND", f"{server.base_url}/healthz")
    after = scrape(server)

    template = "/api/v1/needs/{need_id}"
    assert requests_of(after, template, "4xx") - requests_of(before, template, "4xx") == 2
    assert requests_of(after, metrics.UNMATCHED, "4xx") - requests_of(before, metrics.UNMATCHED, "4xx") >= 1
    methods = {dict(labels)["method"] for name, labels in after if name == "marketplace_http_requests_total"}
    assert "PROPFIND" not in methods and "other" in methods  # a rare method is no label of its own
    label_values = {value for _, labels in after for _, value in labels}
    assert not [value for value in label_values if re.search(r"48151|62342|77777", value)]


def test_only_allowed_addresses_or_the_metrics_token_may_read(server: LiveServer) -> None:
    url = f"{server.base_url}/metrics"
    # Loopback is allowed by default; 127.0.0.2 is another address on the same machine, not allowed.
    with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2")) as elsewhere:
        refused = elsewhere.get(url)
        assert refused.status_code == 403 and "marketplace_" not in refused.text
        assert elsewhere.get(url, headers={"Authorization": "Bearer not-the-secret"}).status_code == 403
        assert elsewhere.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"}).status_code == 200
    # Through a proxy nobody declared (MARKETPLACE_TRUSTED_PROXIES), loopback says nothing of the client.
    for header in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"}, {"X-Real-IP": "10.1.1.1"}):
        assert httpx.get(url, headers=header).status_code == 403, header
    with_token = {"X-Forwarded-For": "203.0.113.9", "Authorization": f"Bearer {METRICS_TOKEN}"}
    assert httpx.get(url, headers=with_token).status_code == 200
    assert scrape(server)  # and from loopback, directly: 200


def test_jobs_and_rounds_are_observed_and_the_queue_is_read_when_scraped(
    session_factory: sessionmaker[Session],
) -> None:
    """In a process of its own (a CLI round, the job worker) the counts stay in that process's registry."""
    metrics.observe_job("test-kind", "failed", 2.5)
    metrics.observe_job("test-kind", "made-up", 0.1)
    metrics.observe_round(12.0, "optimal")
    text = metrics.exposition(session_factory).decode()
    assert 'marketplace_jobs_total{kind="test-kind",outcome="failed"} 1.0' in text
    assert 'marketplace_jobs_total{kind="test-kind",outcome="other"} 1.0' in text
    assert 'marketplace_job_duration_seconds_count{kind="test-kind"} 2.0' in text
    assert 'marketplace_round_duration_seconds_bucket{le="30.0",method="optimal"}' in text
    if importlib.util.find_spec("marketplace.jobs") is not None:
        assert "marketplace_job_queue_depth" in text and "marketplace_jobs_failed 0.0" in text


def test_a_malformed_allow_list_stops_the_start(tmp_path: Path) -> None:
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite:///{tmp_path / 'x.sqlite3'}"),
        secret_key="x" * 40,
        metrics_allow=("10.0.0.0/8", "prometheus.internal"),
    )
    with pytest.raises(SettingsError, match="MARKETPLACE_METRICS_ALLOW"):
        metrics.MetricsAccess(settings)


def test_a_dead_worker_keeps_its_counts_in_the_sum_and_its_gauges_leave_with_it(server: LiveServer) -> None:
    """The supervisor replaces a killed worker; the counters it wrote stay (no drop for Prometheus to
    mistake for a restart), its share of the connection gauges goes (mark_process_dead)."""
    started = re.compile(r"worker (\d) started \(pid (\d+)\)")
    workers = dict(m.groups() for line in server.output().splitlines() if (m := started.search(line)))
    before = scrape(server)
    victim = int(workers["1"])
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        replaced = [m[2] for line in server.output().splitlines() if (m := started.search(line)) and m[1] == "1"]
        if len(replaced) >= 2 and httpx.get(f"{server.base_url}/healthz").status_code == 200:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("the killed worker was not replaced:\n" + server.output())
    after = scrape(server)
    while after[("marketplace_db_connections_capacity", ())] != 2 * 30 and time.monotonic() < deadline:
        time.sleep(0.2)  # the new worker's app is being built
        after = scrape(server)
    assert after[("marketplace_db_connections_capacity", ())] == 2 * 30  # not 90: the dead one's share left
    assert requests_of(after, "/healthz", "2xx") >= requests_of(before, "/healthz", "2xx")
    pids = {dict(labels)["pid"] for name, labels in after if name == "process_resident_memory_bytes"}
    assert str(victim) not in pids
