"""The jobs list across two streets (tests/street_fixtures.py): a street admin sees their street's jobs
(and those they started), never another street's nor the deployment-wide sweeps, whose page is a 404 for
them, as it is in the API; a city admin sees every job with its street, filters by street, and opens any.
A job started for a street (a round, an export) carries that street."""

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
from tests.street_fixtures import TwoStreets, build_two_streets

pytestmark = pytest.mark.xdist_group("street_separation")


@pytest.fixture(autouse=True)
def no_thread_outlives_its_test() -> Iterator[None]:
    yield
    backends.wait(timeout=60)


def _job(session: Session, street_id: int | None, **fields: Any) -> Job:
    row = Job(
        kind=fields.pop("kind", "offers.expire"),
        arguments={},
        street_id=street_id,
        status=fields.pop("status", JobStatus.FINISHED),
        finished_at=utcnow(),
        attempts=1,
        **fields,
    )
    session.add(row)
    session.commit()
    return row


def _listed(text: str, *rows: Job) -> list[bool]:
    return [f'href="/admin/jobs/{row.id}"' in text for row in rows]


def test_a_street_admin_sees_their_streets_jobs_and_a_city_admin_every_job(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world: TwoStreets = build_two_streets(session, session_factory, settings)
    a, b = world.a.street.id, world.b.street.id
    job_a = _job(session, a)
    job_b = _job(session, b, kind="exchange.export")
    failed_b = _job(session, b, status=JobStatus.FAILED, error="OperationalError: gone")
    sweep = _job(session, None, kind="needs.escalate", key="schedule:needs.escalate:2026-12-03T08:00")

    admin_a = world.identities["admin A"]
    use(client, admin_a)
    client.cookies.set("lang", "en")
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert _listed(page.text, job_a, job_b, failed_b, sweep) == [True, False, False, False]
    assert "BRAVOMARK" not in page.text and 'name="street"' not in page.text
    assert "failed: 0" in page.text  # B's failed job is not counted for A either
    for path in (f"/admin/jobs/{job_b.id}", f"/admin/jobs/{sweep.id}", f"/admin/jobs/{job_b.id}/progress"):
        assert client.get(path).status_code == 404, path
    assert client.get(f"/admin/jobs/{job_a.id}").status_code == 200
    retry = client.post(f"/admin/jobs/{failed_b.id}/retry", data={"csrf_token": admin_a.csrf}, follow_redirects=False)
    assert retry.status_code == 404
    with reading(session) as db:
        assert db.get(Job, failed_b.id).status is JobStatus.FAILED  # type: ignore[union-attr]
    api = client.get("/api/v1/jobs", headers=admin_a.headers())
    assert api.status_code == 200 and [item["id"] for item in api.json()["items"]] == [job_a.id]
    assert api.json()["failed"] == 0
    assert client.get(f"/api/v1/jobs/{job_b.id}", headers=admin_a.headers()).status_code == 404
    retried = client.post(f"/api/v1/jobs/{failed_b.id}/retry", headers=admin_a.headers())
    assert retried.status_code == 404

    # Street B's admin: the mirror image, and their failed job to retry.
    use(client, world.identities["admin B"])
    page = client.get("/admin/jobs")
    assert _listed(page.text, job_a, job_b, failed_b, sweep) == [False, True, True, False]
    assert "ALFAMARK" not in page.text
    assert client.get(f"/admin/jobs/{job_a.id}").status_code == 404

    # The city admin: every job, a street column, a street filter (a bad one is a 400 naming it).
    city = world.identities["city admin"]
    use(client, city)
    client.cookies.set("lang", "en")
    page = client.get("/admin/jobs")
    assert _listed(page.text, job_a, job_b, failed_b, sweep) == [True, True, True, True]
    assert "ALFAMARK Street" in page.text and "BRAVOMARK Street" in page.text and "Every street" in page.text
    only_b = client.get("/admin/jobs", params={"street": "sep-b"})
    assert _listed(only_b.text, job_a, job_b, failed_b, sweep) == [False, True, True, False]
    bad = client.get("/admin/jobs", params={"street": "nowhere"})
    assert bad.status_code == 400 and "street" in bad.text
    for row in (job_a, job_b, sweep):
        assert client.get(f"/admin/jobs/{row.id}").status_code == 200
    api = client.get("/api/v1/jobs", params={"street": "sep-a"}, headers=city.headers())
    assert [item["id"] for item in api.json()["items"]] == [job_a.id] and api.json()["items"][0]["street_id"] == a
    everything = client.get("/api/v1/jobs", headers=city.headers()).json()
    assert {item["id"] for item in everything["items"]} == {job_a.id, job_b.id, failed_b.id, sweep.id}
    assert client.get("/api/v1/jobs", params={"street": "nowhere"}, headers=city.headers()).status_code == 400
    client.cookies.set("lang", "zh_CN")
    assert "全部街道" in client.get("/admin/jobs").text


def test_a_job_started_for_a_street_carries_it(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    admin_a = world.identities["admin A"]
    use(client, admin_a)
    exported = client.get("/needs/export.csv", params={"background": "1"}, follow_redirects=False)
    assert exported.status_code == 303, exported.text
    export_id = int(exported.headers["location"].rsplit("/", 1)[1])
    started = client.post("/api/v1/rounds", json={"method": "greedy", "k": 3}, headers=admin_a.headers())
    assert started.status_code == 202, started.text
    assert backends.wait(timeout=120)
    with reading(session) as db:
        export = db.get(Job, export_id)
        assert export is not None and export.street_id == world.a.street.id
        rounds = list(db.execute(sa.select(Job).where(Job.kind == "match.round")).scalars())
        assert [row.street_id for row in rounds] == [world.a.street.id]
    use(client, world.identities["admin B"])
    assert client.get(f"/admin/jobs/{export_id}").status_code == 404
    assert client.get(f"/admin/jobs/{rounds[0].id}").status_code == 404
    use(client, world.identities["city admin"])
    assert client.get(f"/admin/jobs/{rounds[0].id}").status_code == 200
