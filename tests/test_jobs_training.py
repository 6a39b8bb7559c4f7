"""Training the rankers on demand: the admins' button and POST /api/v1/jobs queue ``match.train``, one at a time.

"One at a time" is the job table's unique key: a live training holds ``live:match.train`` and lets it go
when it ends, so a second one is refused by the database however the requests race.
"""

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.app import create_app
from marketplace.db.engine import session_scope
from marketplace.jobs import backends, services
from marketplace.jobs.models import Job, JobStatus
from marketplace.settings import Settings
from tests.needs_helpers import token_for
from tests.security_helpers import DEFAULT_PASSWORD, fetch, login, make_user, post_form, reading, sign_in_as
from tests.test_jobs_worker import REDIS_URL, pytestmark

__all__ = ["pytestmark"]


@pytest.fixture
def queue_settings(settings: Settings) -> Iterator[Settings]:
    """Redis configured, on a queue no worker listens to: a queued job stays queued for the test to see."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    yield dataclasses.replace(settings, redis_url=REDIS_URL, job_queue=queue)
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"saq:{queue}*"):
        client.delete(key)


@pytest.fixture
def queued_client(queue_settings: Settings, clean_engine: sa.Engine) -> Iterator[TestClient[Litestar]]:
    with TestClient(app=create_app(queue_settings)) as client:
        yield client


def city_admin(session: Session, user: User) -> User:
    """Training covers every street: a city admin's (a street admin is refused, tests/test_job_street_scope.py)."""
    user.street_id = None
    session.add(user)
    session.commit()
    return user


def sign_in_as_city_admin(client: TestClient[Any], session: Session) -> User:
    user = city_admin(session, make_user(session, Role.ADMIN))
    assert login(client, user.username, DEFAULT_PASSWORD).status_code in (302, 303)
    return user


def trainings(session: Session) -> list[Job]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Job).where(Job.kind == "match.train").order_by(Job.id)).scalars())


def end(factory: sessionmaker[Session], job_id: int, *, fail: bool = False) -> None:
    token = services.new_token()
    assert services.claim(factory, job_id, token, 60)
    if fail:
        assert services.fail(factory, job_id, token, "RuntimeError: no decisions")
    else:
        assert services.finish(factory, job_id, token, {"results": []})


def test_the_button_queues_one_training_and_a_second_press_shows_the_live_one(
    queued_client: TestClient[Any], session: Session, queue_settings: Settings
) -> None:
    client = queued_client
    admin = sign_in_as_city_admin(client, session)
    client.cookies.set("lang", "en")
    page = client.get("/admin/jobs")
    assert page.status_code == 200 and 'action="/admin/jobs/train"' in page.text and "Train the rankers" in page.text
    assert client.post("/admin/jobs/train", data={"kind": "all"}, follow_redirects=False).status_code == 403  # CSRF

    pressed = post_form(client, queue_settings, "/admin/jobs/train", {"kind": "volunteers"})
    [job] = trainings(session)
    assert pressed.status_code == 303 and pressed.headers["location"] == f"/admin/jobs/{job.id}"
    assert job.status is JobStatus.QUEUED and job.arguments == {"kind": "volunteers"}
    assert job.started_by_id == admin.id and job.key == "live:match.train"
    assert client.get(f"/admin/jobs/{job.id}").status_code == 200

    again = post_form(client, queue_settings, "/admin/jobs/train", {"kind": "all"})
    assert again.status_code == 303 and again.headers["location"] == f"/admin/jobs/{job.id}"
    assert len(trainings(session)) == 1
    listing = client.get("/admin/jobs").text
    assert f"job #{job.id}" in listing and 'action="/admin/jobs/train"' not in listing
    client.cookies.set("lang", "zh_CN")
    assert "训练排序模型" in client.get("/admin/jobs").text
    assert post_form(client, queue_settings, "/admin/jobs/train", {"kind": "everything"}).status_code == 400


@pytest.mark.parametrize("role", [Role.STAFF, Role.VOLUNTEER, Role.PARTNER])
def test_only_admins_train(
    queued_client: TestClient[Any], session: Session, queue_settings: Settings, role: Role
) -> None:
    sign_in_as(queued_client, session, role)
    assert post_form(queued_client, queue_settings, "/admin/jobs/train", {"kind": "all"}).status_code == 403
    assert trainings(session) == []


def test_the_api_starts_a_training_with_jobs_write_and_refuses_a_second_while_one_is_live(
    queued_client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    client = queued_client
    admin = city_admin(session, make_user(session, Role.ADMIN))

    def bearer(*scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(session, admin, scopes)}"}

    body = {"kind": "match.train", "arguments": {"kind": "offers"}}
    assert client.post("/api/v1/jobs", json=body, headers=bearer("jobs:read")).status_code == 403
    started = client.post("/api/v1/jobs", json=body, headers=bearer("jobs:write"))
    assert started.status_code == 201, started.text
    first = started.json()
    assert first["kind"] == "match.train" and first["status"] == "queued" and first["arguments"] == {"kind": "offers"}

    refused = client.post("/api/v1/jobs", json={"kind": "match.train"}, headers=bearer("jobs:write"))
    assert refused.status_code == 409 and str(first["id"]) in refused.text, refused.text
    assert refused.json()["extra"]["job_id"] == first["id"]
    for wrong in ({"kind": "system.check"}, {"kind": "match.train", "arguments": {"kind": "everyone"}}, {}):
        answer = client.post("/api/v1/jobs", json=wrong, headers=bearer("jobs:write"))
        assert answer.status_code == 400 and "kind" in answer.text, answer.text

    # Once the live one ended (finished or failed), the next may start; its key was let go.
    end(session_factory, first["id"])
    assert fetch(session, Job, first["id"]).key is None
    second = client.post("/api/v1/jobs", json={"kind": "match.train"}, headers=bearer("jobs:write"))
    assert second.status_code == 201 and second.json()["arguments"] == {"kind": "all"}
    end(session_factory, second.json()["id"], fail=True)
    third = client.post("/api/v1/jobs", json={"kind": "match.train"}, headers=bearer("jobs:write"))
    assert third.status_code == 201

    # A failed training is retried only while no other is live, and then holds the key again.
    assert client.post(f"/api/v1/jobs/{second.json()['id']}/retry", headers=bearer("jobs:write")).status_code == 409
    assert fetch(session, Job, second.json()["id"]).status is JobStatus.FAILED
    end(session_factory, third.json()["id"])
    retried = client.post(f"/api/v1/jobs/{second.json()['id']}/retry", headers=bearer("jobs:write"))
    assert retried.status_code == 200 and retried.json()["status"] == "queued"
    assert fetch(session, Job, second.json()["id"]).key == "live:match.train"
    volunteer = make_user(session, Role.VOLUNTEER)
    token = token_for(session, volunteer, ("jobs:write",))
    assert client.post("/api/v1/jobs", json=body, headers={"Authorization": f"Bearer {token}"}).status_code == 403


def test_of_many_concurrent_requests_for_a_training_the_database_lets_one_through(
    session: Session, session_factory: sessionmaker[Session]
) -> None:
    racers = 8
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def racer() -> None:
        barrier.wait()
        try:
            with session_scope(session_factory) as db:
                services.enqueue_exclusive(db, "match.train", {"kind": "all"})
            outcome = "queued"
        except services.AlreadyLive:
            outcome = "refused"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=racer) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["queued"] + ["refused"] * (racers - 1)
    assert len(trainings(session)) == 1


def test_without_redis_the_training_runs_in_the_web_process_and_lets_its_key_go(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    sign_in_as_city_admin(client, session)
    assert post_form(client, settings, "/admin/jobs/train", {"kind": "offers"}).status_code == 303
    assert backends.wait(timeout=120)
    [job] = trainings(session)
    assert not job.is_live and job.key is None, (job.status, job.error)
    assert post_form(client, settings, "/admin/jobs/train", {"kind": "offers"}).status_code == 303
    assert backends.wait(timeout=120)
    assert len(trainings(session)) == 2
