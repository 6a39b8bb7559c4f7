"""A job run by a real ``marketplace worker`` process is counted on the ``/metrics`` of a real server.

The worker writes its counts to the shared metrics files under the var dir (``use_metrics_dir``), which
the server's scrape sums with its own workers'; before, they stayed in the worker's memory.
"""

import time

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.jobs import backends
from marketplace.jobs.models import JobStatus
from marketplace.settings import Settings
from tests.live_server import start_serve
from tests.test_jobs_worker import _check_job, _wait_for, jobs_settings, pytestmark, start_worker

__all__ = ["jobs_settings", "pytestmark"]


def finished_checks(base_url: str) -> float:
    answer = httpx.get(f"{base_url}/metrics", timeout=10)
    assert answer.status_code == 200, answer.text
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            if sample.name == "marketplace_jobs_total" and sample.labels == {
                "kind": "system.check",
                "outcome": "finished",
            }:
                return sample.value
    return 0.0


def test_a_job_the_worker_ran_is_counted_on_the_servers_metrics(
    session: Session, session_factory: sessionmaker[Session], jobs_settings: Settings
) -> None:
    server = start_serve(
        jobs_settings.database.url,
        jobs_settings.var_dir,
        settings={
            "SECRET_KEY": "worker-metrics-test",
            "REDIS_URL": jobs_settings.redis_url or "",
            "JOB_QUEUE": jobs_settings.job_queue,
            "SCHEDULE": "off",
        },
    )
    worker = None
    try:
        assert finished_checks(server.base_url) == 0.0
        worker = start_worker(jobs_settings, "metrics")
        job_id = _check_job(session_factory, 0)
        backends.put_on_redis(jobs_settings, job_id)
        done = _wait_for(session, job_id, lambda row: not row.is_live)
        assert done.status is JobStatus.FINISHED, done.error
        deadline = time.monotonic() + 10
        while finished_checks(server.base_url) < 1.0 and time.monotonic() < deadline:
            time.sleep(0.2)  # the count is written just after the row is finished
        assert finished_checks(server.base_url) == 1.0, worker.output()
    finally:
        if worker is not None:
            worker.stop()
        server.stop()
    assert (jobs_settings.var_dir / "prometheus").is_dir()
