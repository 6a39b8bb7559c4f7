"""Every job a street admin may start stays within their streets. Training the learned rankers covers every
street (it learns from every street's decisions and changes every street's suggestions), so a street admin
cannot start it, on the page or in the API, nor queue a failed one again: 403 saying why (extra.code
every_street_job), and no job row. The rounds and exports they start carry their street. A city admin
still trains."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.jobs import backends
from marketplace.jobs.models import Job, JobStatus
from marketplace.settings import Settings
from tests.security_helpers import reading
from tests.security_world import use
from tests.street_fixtures import build_two_streets

pytestmark = pytest.mark.xdist_group("street_separation")

REASON_EN = "covers every street, beyond those you administer: only a city admin may start it"
REASON_ZH = "涉及所有街道，超出您管理的街道范围：只有市级管理员可以启动。"


@pytest.fixture(autouse=True)
def no_thread_outlives_its_test() -> Iterator[None]:
    yield
    backends.wait(timeout=120)


def _trainings(session: Session) -> list[Job]:
    with reading(session) as db:
        return list(db.execute(sa.select(Job).where(Job.kind == "match.train")).scalars())


def test_a_street_admin_cannot_train_a_ranker_covering_every_street(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    admin_a = world.identities["admin A"]
    use(client, admin_a)
    client.cookies.set("lang", "en")
    page = client.get("/admin/jobs")
    assert 'action="/admin/jobs/train"' not in page.text and REASON_EN in page.text
    for which in ("all", "volunteers", "offers"):
        refused = client.post(
            "/admin/jobs/train", data={"csrf_token": admin_a.csrf, "kind": which}, follow_redirects=False
        )
        assert refused.status_code == 403, (which, refused.text)
        assert REASON_EN in refused.text and "Training the ranker" in refused.text
    api = client.post("/api/v1/jobs", json={"kind": "match.train"}, headers=admin_a.headers())
    assert api.status_code == 403, api.text
    assert REASON_EN in api.json()["detail"]
    assert api.json()["extra"] == {"code": "every_street_job", "kind": "match.train"}
    client.cookies.set("lang", "zh_CN")
    zh = client.post(
        "/api/v1/jobs", json={"kind": "match.train", "arguments": {"kind": "offers"}}, headers=admin_a.headers()
    )
    assert zh.status_code == 403 and REASON_ZH in zh.json()["detail"] and "训练排序模型" in zh.json()["detail"]
    assert REASON_ZH in client.get("/admin/jobs").text
    assert _trainings(session) == []


def test_a_street_admin_cannot_queue_a_failed_training_again(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """A training they started before the refusal (it is theirs, so they see it) stays failed."""
    world = build_two_streets(session, session_factory, settings)
    admin_a = world.identities["admin A"]
    failed = Job(
        kind="match.train",
        arguments={"kind": "all"},
        started_by_id=admin_a.user_id,
        status=JobStatus.FAILED,
        error="OperationalError: gone",
        finished_at=utcnow(),
        attempts=3,
    )
    session.add(failed)
    session.commit()
    use(client, admin_a)
    client.cookies.set("lang", "en")
    assert client.get(f"/admin/jobs/{failed.id}").status_code == 200
    page = client.post(f"/admin/jobs/{failed.id}/retry", data={"csrf_token": admin_a.csrf}, follow_redirects=False)
    assert page.status_code == 403 and REASON_EN in page.text
    api = client.post(f"/api/v1/jobs/{failed.id}/retry", headers=admin_a.headers())
    assert api.status_code == 403 and api.json()["extra"]["code"] == "every_street_job"
    assert [row.status for row in _trainings(session)] == [JobStatus.FAILED]


def test_every_job_a_street_admin_starts_is_within_their_streets(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    admin_a = world.identities["admin A"]
    use(client, admin_a)
    exported = client.get("/needs/export.csv", params={"background": "1"}, follow_redirects=False)
    assert exported.status_code == 303, exported.text
    rounds = client.post(
        "/api/v1/rounds", json={"method": "greedy", "k": 3, "street": "all"}, headers=admin_a.headers()
    )
    assert rounds.status_code in (202, 409), rounds.text
    client.post("/admin/jobs/train", data={"csrf_token": admin_a.csrf}, follow_redirects=False)
    client.post("/api/v1/jobs", json={"kind": "match.train"}, headers=admin_a.headers())
    assert backends.wait(timeout=120)
    with reading(session) as db:
        started = list(db.execute(sa.select(Job).where(Job.started_by_id == admin_a.user_id)).scalars())
    assert started and {row.kind for row in started} >= {"exchange.export", "match.round"}
    assert {row.street_id for row in started} == {world.a.street.id}, [(row.kind, row.street_id) for row in started]


def test_a_city_admin_still_trains_the_rankers(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    city = world.identities["city admin"]
    use(client, city)
    assert 'action="/admin/jobs/train"' in client.get("/admin/jobs").text
    started = client.post(
        "/api/v1/jobs", json={"kind": "match.train", "arguments": {"kind": "offers"}}, headers=city.headers()
    )
    assert started.status_code == 201, started.text
    assert backends.wait(timeout=120)
    assert [row.started_by_id for row in _trainings(session)] == [city.user_id]
