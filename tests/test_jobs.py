"""Background jobs in the database and on the pages: a job is claimed by one worker only, however many race
for it; a worker that lost its claim writes nothing; jobs run on a thread of the web process when no Redis
is configured; admins see every job, its error, and retry a failed one (CSRF-checked, audited); the JSON
API needs the jobs scopes. The Redis worker, killed mid-job, is tested in test_jobs_worker.py."""

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.db.engine import session_scope
from marketplace.db.types import utcnow
from marketplace.jobs import backends, services
from marketplace.jobs.models import Job, JobStatus
from marketplace.settings import Settings
from tests.needs_helpers import token_for
from tests.security_helpers import audit_events, fetch, make_user, post_form, sign_in_as

CLAIMANTS = 8


@pytest.fixture(autouse=True)
def no_thread_outlives_its_test() -> Iterator[None]:
    yield
    backends.wait(timeout=60)


def _job(session: Session, **fields: Any) -> Job:
    row = Job(kind=fields.pop("kind", "system.check"), arguments=fields.pop("arguments", {"seconds": 0}), **fields)
    session.add(row)
    session.commit()
    return row


def _race(factory: sessionmaker[Session], job_id: int, stale_seconds: int = 60) -> list[bool]:
    """``CLAIMANTS`` threads claim the job at the same moment, each with its own connection."""
    barrier = threading.Barrier(CLAIMANTS)
    results: list[bool] = []
    lock = threading.Lock()

    def claimant() -> None:
        token = services.new_token()
        barrier.wait()
        won = services.claim(factory, job_id, token, stale_seconds)
        with lock:
            results.append(won)

    threads = [threading.Thread(target=claimant) for _ in range(CLAIMANTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(results) == CLAIMANTS
    return results


def test_of_many_concurrent_claims_on_a_queued_job_exactly_one_wins(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    for _ in range(5):  # several races: one lucky ordering proves little
        job = _job(session)
        assert sorted(_race(session_factory, job.id or 0)) == [False] * (CLAIMANTS - 1) + [True]
        row = fetch(session, Job, job.id)
        assert row.status is JobStatus.RUNNING and row.attempts == 1 and row.claimed_by


def test_a_silent_running_job_is_reclaimed_once_and_a_beating_one_never(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    silent = _job(session, status=JobStatus.RUNNING, attempts=1, heartbeat_at=utcnow() - timedelta(seconds=90))
    assert sorted(_race(session_factory, silent.id or 0)) == [False] * (CLAIMANTS - 1) + [True]
    assert fetch(session, Job, silent.id).attempts == 2
    beating = _job(session, status=JobStatus.RUNNING, attempts=1, heartbeat_at=utcnow())
    assert _race(session_factory, beating.id or 0) == [False] * CLAIMANTS
    # Out of attempts: nobody claims it again; the worker's scan fails it instead.
    spent = _job(
        session, status=JobStatus.RUNNING, attempts=3, max_attempts=3, heartbeat_at=utcnow() - timedelta(seconds=90)
    )
    assert _race(session_factory, spent.id or 0) == [False] * CLAIMANTS
    with session_scope(session_factory) as db:
        assert services.give_up_interrupted(db, 60) == [(spent.id, "system.check")]
    row = fetch(session, Job, spent.id)
    assert row.status is JobStatus.FAILED and row.error == services.INTERRUPTED


def test_a_worker_that_lost_its_claim_writes_nothing_and_cannot_finish(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    job = _job(session)
    first, second = services.new_token(), services.new_token()
    assert services.claim(session_factory, job.id or 0, first, 60)
    # The first worker goes silent for longer than the stale limit; the second takes the job over.
    with session_scope(session_factory) as db:
        db.execute(sa.update(Job).where(Job.id == job.id).values(heartbeat_at=utcnow() - timedelta(seconds=90)))  # type: ignore[arg-type]
    assert services.claim(session_factory, job.id or 0, second, 60)
    # The first wakes up: its effects are fenced out, its beat and its finish touch nothing.
    with pytest.raises(services.LostClaim), session_scope(session_factory) as db:
        db.execute(sa.text("INSERT INTO skill (code, \"group\", name, name_en) VALUES ('x', 'g', 'x', 'x')"))
        services.fence(db, job.id or 0, first)
    with Session(session.get_bind()) as db:
        assert db.execute(sa.text("SELECT count(*) FROM skill")).scalar() == 0
    assert not services.beat(session_factory, job.id or 0, first, "late", 1, 2)
    assert not services.finish(session_factory, job.id or 0, first, {"by": "first"})
    assert services.finish(session_factory, job.id or 0, second, {"by": "second"})
    row = fetch(session, Job, job.id)
    assert (row.status, row.result, row.attempts) == (JobStatus.FINISHED, {"by": "second"}, 2)


def test_without_redis_a_job_runs_on_a_thread_of_the_web_process_with_its_progress(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    assert settings.redis_url is None
    with session_scope(session_factory) as db:
        job = services.enqueue(db, "system.check", {"seconds": 1.5})
    seen: list[tuple[str, int, int]] = []
    backends.submit(settings, session_factory, session_factory, job.id or 0)
    while backends.wait(job.id, timeout=0.1) is False:
        row = fetch(session, Job, job.id)
        seen.append((row.stage, row.done, row.total))
    row = fetch(session, Job, job.id)
    assert row.status is JobStatus.FINISHED and row.attempts == 1 and row.result == {"seconds": 1.5, "attempt": 1}
    assert any(stage == "waiting" and 0 < done < total for stage, done, total in seen), seen
    assert [event.object_id for event in audit_events(session, "job.check")] == [job.id]


def test_a_job_that_raises_is_failed_with_its_error(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_scope(session_factory) as db:
        job = services.enqueue(db, "match.round", {"round_id": 424242})
    backends.submit(settings, session_factory, session_factory, job.id or 0)
    assert backends.wait(job.id, timeout=60)
    row = fetch(session, Job, job.id)
    assert row.status is JobStatus.FAILED and "round 424242 does not exist" in (row.error or "")
    assert row.finished_at is not None


def _city_wide(session: Session, user: User) -> User:
    """Make ``user`` a city admin (no street): they see the deployment-wide jobs (the sweeps here)."""
    session.execute(sa.update(User).where(User.id == user.id).values(street_id=None))  # type: ignore[arg-type]
    session.commit()
    return user


def _failed(
    session: Session, kind: str = "offers.expire", error: str = "OperationalError: the database went away"
) -> Job:
    return _job(
        session, kind=kind, arguments={}, status=JobStatus.FAILED, error=error, attempts=1, finished_at=utcnow()
    )


def test_admins_see_jobs_with_their_errors_filter_them_and_retry_a_failed_one(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    admin = _city_wide(session, sign_in_as(client, session, Role.ADMIN))
    failed = _failed(session)
    done = _job(session, kind="needs.escalate", status=JobStatus.FINISHED, finished_at=utcnow(), attempts=1)
    client.cookies.set("lang", "en")
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert "Offer expiry" in page.text and "Escalation sweep" in page.text
    assert "the database went away" in page.text and f'action="/admin/jobs/{failed.id}/retry"' in page.text
    only_failed = client.get("/admin/jobs", params={"status": "failed"})
    assert f"/admin/jobs/{failed.id}" in only_failed.text and f"/admin/jobs/{done.id}" not in only_failed.text
    by_kind = client.get("/admin/jobs", params={"kind": "needs.escalate"})
    assert f"/admin/jobs/{done.id}" in by_kind.text and f"/admin/jobs/{failed.id}" not in by_kind.text
    assert client.get("/admin/jobs", params={"status": "exploded"}).status_code == 400
    assert client.get("/admin/jobs", params={"kind": "nonsense"}).status_code == 400
    client.cookies.set("lang", "zh_CN")
    chinese = client.get("/admin/jobs").text
    assert "后台任务" in chinese and "资源到期处理" in chinese and "重试" in chinese

    # Without the CSRF token nothing happens; with it the job is queued again, runs, and the retry is audited.
    assert client.post(f"/admin/jobs/{failed.id}/retry", follow_redirects=False).status_code == 403
    assert fetch(session, Job, failed.id).status is JobStatus.FAILED
    retried = post_form(client, settings, f"/admin/jobs/{failed.id}/retry")
    assert retried.status_code == 303 and retried.headers["location"] == f"/admin/jobs/{failed.id}"
    assert backends.wait(timeout=60)
    row = fetch(session, Job, failed.id)
    assert row.status is JobStatus.FINISHED and row.error is None and row.result == {"expired": 0}
    [event] = audit_events(session, "job.retry")
    assert event.actor_id == admin.id and event.object_id == failed.id
    assert event.before and event.before["status"] == "failed" and "went away" in event.before["error"]
    # A job that did not fail is not retried.
    assert post_form(client, settings, f"/admin/jobs/{done.id}/retry").status_code == 409
    assert post_form(client, settings, "/admin/jobs/999999/retry").status_code == 404
    detail = client.get(f"/admin/jobs/{failed.id}")
    assert detail.status_code == 200 and "hx-trigger" not in detail.text


def test_a_live_job_page_polls_its_progress(client: TestClient[Any], session: Session) -> None:
    _city_wide(session, sign_in_as(client, session, Role.ADMIN))
    running = _job(
        session, status=JobStatus.RUNNING, stage="waiting", done=3, total=12, attempts=1, heartbeat_at=utcnow()
    )
    client.cookies.set("lang", "en")
    page = client.get(f"/admin/jobs/{running.id}")
    assert f'hx-get="/admin/jobs/{running.id}/progress"' in page.text and 'hx-trigger="every 1s"' in page.text
    assert "3 / 12" in page.text and 'value="25"' in page.text
    fragment = client.get(f"/admin/jobs/{running.id}/progress", headers={"HX-Request": "true"})
    assert f'id="job-{running.id}-status"' in fragment.text and 'hx-swap-oob="true"' in fragment.text
    assert client.get("/admin/jobs/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.STAFF, Role.VOLUNTEER, Role.PARTNER])
def test_only_admins_see_or_retry_jobs(
    client: TestClient[Any], session: Session, settings: Settings, role: Role
) -> None:
    failed = _failed(session)
    sign_in_as(client, session, role)
    assert client.get("/admin/jobs").status_code == 403
    # Staff reach a job's page only for their own jobs: another's is not there for them (404, as a missing id).
    hidden = 404 if role is Role.STAFF else 403
    assert client.get(f"/admin/jobs/{failed.id}").status_code == hidden
    assert post_form(client, settings, f"/admin/jobs/{failed.id}/retry").status_code == hidden
    assert fetch(session, Job, failed.id).status is JobStatus.FAILED


def test_the_jobs_api_needs_the_jobs_scopes(client: TestClient[Any], session: Session) -> None:
    failed = _failed(session)
    _job(session, status=JobStatus.RUNNING, attempts=1, heartbeat_at=utcnow())
    admin = _city_wide(session, make_user(session, Role.ADMIN))

    def bearer(*scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(session, admin, scopes)}"}

    listing = client.get("/api/v1/jobs", headers=bearer("jobs:read"))
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["total"] == 2 and body["failed"] == 1 and body["queue_depth"] == {"queued": 0, "running": 1}
    assert {item["status"] for item in body["items"]} == {"failed", "running"}
    only = client.get("/api/v1/jobs", params={"status": "failed"}, headers=bearer("jobs:read")).json()
    assert [item["id"] for item in only["items"]] == [failed.id] and only["items"][0]["error"].startswith("Operational")
    assert client.get("/api/v1/jobs", params={"status": "bogus"}, headers=bearer("jobs:read")).status_code == 400
    assert client.get(f"/api/v1/jobs/{failed.id}", headers=bearer("jobs:read")).json()["kind"] == "offers.expire"
    assert client.get("/api/v1/jobs", headers=bearer("needs:read")).status_code == 403
    # Reading is not retrying.
    assert client.post(f"/api/v1/jobs/{failed.id}/retry", headers=bearer("jobs:read")).status_code == 403
    retried = client.post(f"/api/v1/jobs/{failed.id}/retry", headers=bearer("jobs:write"))
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert backends.wait(timeout=60)
    assert fetch(session, Job, failed.id).status is JobStatus.FINISHED
    assert client.post(f"/api/v1/jobs/{failed.id}/retry", headers=bearer("jobs:write")).status_code == 409
    assert [event.actor_role for event in audit_events(session, "job.retry")] == ["admin"]
    # An admin's token never makes a volunteer an admin.
    volunteer = make_user(session, Role.VOLUNTEER)
    token = token_for(session, volunteer, ("jobs:read",))
    assert client.get("/api/v1/jobs", headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_queue_depth_and_failed_count_are_one_query_each(session: Session) -> None:
    _job(session)
    _job(session)
    _job(session, status=JobStatus.RUNNING, attempts=1, heartbeat_at=utcnow())
    _failed(session)
    with Session(session.get_bind()) as db:
        assert services.queue_depth(db) == {"queued": 2, "running": 1}
        assert services.failed_count(db) == 1


def test_the_worker_refuses_to_start_without_redis_saying_why(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from marketplace.jobs.cli import worker

    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    monkeypatch.delenv("MARKETPLACE_REDIS_URL", raising=False)
    result = CliRunner().invoke(worker, [])
    assert result.exit_code != 0 and "MARKETPLACE_REDIS_URL is not set" in result.output


def test_a_round_from_the_command_line_is_recorded_as_a_job(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from marketplace.rounds.cli import round_command

    monkeypatch.setenv("MARKETPLACE_DATABASE_URL", settings.database.url)
    monkeypatch.setenv("MARKETPLACE_VAR_DIR", str(settings.var_dir))
    result = CliRunner().invoke(round_command, ["--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with Session(session.get_bind()) as db:
        [job] = db.execute(sa.select(Job)).scalars().all()
    assert (job.kind, job.status, job.attempts, job.started_by_id) == ("match.round", JobStatus.FINISHED, 1, None)
    assert job.result and job.result["status"] == "finished" and job.result["id"] == job.arguments["round_id"]
