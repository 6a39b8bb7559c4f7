"""A job's id cannot be tried to learn that the job exists: on every route that names a job (its page, its
progress, its file, its retry, the API, the import report pages, which are job rows too), a job the caller
may not see answers exactly as a missing id does: the same status and the same body. The routes are read
from the application, so a route added later with a job's id in its path is checked too.

The callers: staff (who see only the jobs they started; a street admin's export of their own street is
not theirs), a street admin (another street's jobs), a partner (another partner's offer import report).
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.exchange import jobs as exchange_jobs
from marketplace.jobs import backends
from marketplace.jobs.models import Job, JobStatus
from marketplace.settings import Settings
from tests.security_world import Identity, Route, app_routes, use
from tests.street_fixtures import build_two_streets

pytestmark = pytest.mark.xdist_group("street_separation")

# Path parameters that name a job row (an import report is kept on a finished job row).
JOB_PARAMS = {"job_id", "report_id"}
VIEWERS = ("staff A", "admin A", "partner A")


@pytest.fixture(autouse=True)
def no_thread_outlives_its_test() -> Iterator[None]:
    yield
    backends.wait(timeout=60)


def job_routes(app: Litestar) -> list[Route]:
    return [route for route in app_routes(app) if {name for name, _kind in route.params} & JOB_PARAMS]


def _job(session: Session, started_by: int, street_id: int, kind: str, **fields: Any) -> Job:
    now = utcnow()
    row = Job(
        kind=kind,
        arguments=fields.pop("arguments", {}),
        status=fields.pop("status", JobStatus.FINISHED),
        started_by_id=started_by,
        street_id=street_id,
        attempts=1,
        started_at=now,
        finished_at=now,
        **fields,
    )
    session.add(row)
    session.commit()
    return row


def _report(session: Session, started_by: int, street_id: int, listing: str) -> Job:
    result = {"list": listing, "filename": "x.csv", "total_rows": 1, "valid_rows": 1, "imported_ids": [1]}
    return _job(session, started_by, street_id, "exchange.import_report", arguments={"list": listing}, result=result)


def _others_jobs(session: Session, settings: Settings, owner: int, street_id: int) -> dict[str, int]:
    """Jobs of ``owner`` for each kind of route: a finished export whose file is there, a failed job, reports."""
    export = _job(session, owner, street_id, "exchange.export", result={"format": "csv", "file": "needs.csv"})
    exchange_jobs.export_file(settings, export.id or 0, "csv").write_text("id\n1\n")
    failed = _job(session, owner, street_id, "offers.expire", status=JobStatus.FAILED, error="boom")
    jobs = {"export": export.id or 0, "failed": failed.id or 0}
    for listing in ("needs", "offers", "volunteers"):
        jobs[listing] = _report(session, owner, street_id, listing).id or 0
    return jobs


def _which(route: Route, jobs: dict[str, int]) -> int:
    """The other's job that fits the route (a report of its list, a failed job to retry, an export)."""
    for listing in ("needs", "offers", "volunteers"):
        if route.path.startswith(f"/{listing}/import/"):
            return jobs[listing]
    return jobs["failed"] if route.path.endswith("/retry") else jobs["export"]


def _ask(client: TestClient[Any], route: Route, identity: Identity, job_id: int) -> Any:
    path = route.fill({"job_id": job_id, "report_id": job_id})
    if route.method == "GET":
        return client.get(path, follow_redirects=False)
    return client.request(
        route.method,
        path,
        data={"csrf_token": identity.csrf},
        headers=identity.headers(),
        follow_redirects=False,
    )


def _shape(answer: Any, job_id: int) -> Any:
    """The body with the asked id taken out: JSON as its keys and detail, a page as its main part (the head's
    nonces differ on every answer)."""
    if answer.headers.get("content-type", "").startswith("application/json"):
        body = answer.json()
        return sorted(body), body.get("detail")
    main = re.search(r"<main\b.*</main>", answer.text, re.S)
    page = main.group(0) if main else answer.text
    return re.sub(rf"(/|#){job_id}\b", r"\1ID", page)


def test_the_job_routes_are_found(app: Litestar) -> None:
    """The walk below covers the job pages, their API and the import reports (and would cover a new one)."""
    paths = {route.path for route in job_routes(app)}
    assert "/admin/jobs/{job_id:int}/download" in paths and "/api/v1/jobs/{job_id:int}" in paths
    assert "/needs/import/{report_id:int}" in paths and "/offers/import/{report_id:int}" in paths
    # No other route names a job under another parameter name.
    for route in app_routes(app):
        if "/jobs/{" in route.path or "/import/{" in route.path:
            assert {name for name, _kind in route.params} & JOB_PARAMS, route.label


def test_another_users_job_answers_as_a_missing_one_on_every_job_route(
    app: Litestar,
    client: TestClient[Any],
    session: Session,
    session_factory: sessionmaker[Session],
    settings: Settings,
) -> None:
    world = build_two_streets(session, session_factory, settings)
    a, b = world.a, world.b
    others = {
        # The street admin's own jobs of street A: the admin sees them, their staff do not.
        "staff A": _others_jobs(session, settings, a.admin.id or 0, a.street.id or 0),
        # Street B's admin's: not there for street A's admin.
        "admin A": _others_jobs(session, settings, b.admin.id or 0, b.street.id or 0),
        # Another partner's offer import report.
        "partner A": _others_jobs(session, settings, b.partner.id or 0, b.street.id or 0),
    }
    with session_factory() as db:
        missing = int(db.execute(sa.select(sa.func.max(Job.id))).scalar_one() or 0) + 1000
    routes = job_routes(app)
    checked = 0
    differing = []
    for viewer, locale in zip(VIEWERS, ("zh_CN", "en", "zh_CN"), strict=True):
        identity = world.identities[viewer]
        use(client, identity)
        client.cookies.set("lang", locale)
        for route in routes:
            other = _which(route, others[viewer])
            seen = _ask(client, route, identity, other)
            absent = _ask(client, route, identity, missing)
            checked += 1
            if (seen.status_code, _shape(seen, other)) != (absent.status_code, _shape(absent, missing)):
                differing.append(f"{viewer}: {route.label}: {seen.status_code} for another's, {absent.status_code}")
            assert seen.status_code < 500 and absent.status_code < 500, route.label
    assert not differing, "\n".join(differing)
    assert checked == len(VIEWERS) * len(routes)
    # Nothing was retried: the failed jobs are still failed.
    with session_factory() as db:
        failed = [jobs["failed"] for jobs in others.values()]
        statuses = db.execute(sa.select(Job.status).where(Job.id.in_(failed))).scalars().all()  # type: ignore[union-attr]
        assert set(statuses) == {JobStatus.FAILED}


def test_the_starter_and_their_admin_still_reach_the_job(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """The rule still shows a job to whoever may see it: its starter (staff too) and their street's admin;
    the file only to whoever asked for it."""
    world = build_two_streets(session, session_factory, settings)
    a = world.a
    mine = _others_jobs(session, settings, a.staff.id or 0, a.street.id or 0)
    use(client, world.identities["staff A"])
    assert client.get(f"/admin/jobs/{mine['export']}").status_code == 200
    assert client.get(f"/admin/jobs/{mine['export']}/download").status_code == 200
    assert client.get(f"/needs/import/{mine['needs']}").status_code == 200
    use(client, world.identities["admin A"])
    assert client.get(f"/admin/jobs/{mine['export']}").status_code == 200
    assert client.get(f"/api/v1/jobs/{mine['export']}").status_code == 200
    assert client.get(f"/admin/jobs/{mine['export']}/download").status_code == 404  # the staff member's file
