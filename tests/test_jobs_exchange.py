"""Large imports and exports of the need list as jobs: progress and report on the job's page, the needs
written once however often the job is claimed, failures retried, exports downloaded by whoever asked,
in their scope, and removed after the retention."""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.engine import session_scope
from marketplace.exchange import jobs as exchange_jobs
from marketplace.jobs import backends, kinds, runner, services
from marketplace.jobs.models import Job, JobStatus
from marketplace.settings import Settings
from tests.security_helpers import csrf_for, fetch, make_grid, post_form, reading, sign_in_as
from tests.test_need_exchange import HEADER, five_rows, good_rows, needs_in, staff_of, upload


def send(client: TestClient[Any], settings: Settings, data: bytes, **form: str) -> Any:
    """Upload without following the redirect to the job's page."""
    return client.post(
        "/needs/import",
        files={"file": ("needs.csv", data, "application/octet-stream")},
        data={"csrf_token": csrf_for(client, settings), **form},
        follow_redirects=False,
    )


def jobs_of(session: Session, kind: str) -> list[Job]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Job).where(Job.kind == kind).order_by(Job.id)).scalars())


def test_an_import_sent_to_the_background_runs_as_a_job_of_its_uploader(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    staff = staff_of(client, session, grid)
    response = send(client, settings, (HEADER + good_rows(grid)).encode(), background="1")
    [job] = jobs_of(session, "exchange.import")
    assert response.status_code == 303 and response.headers["location"] == f"/admin/jobs/{job.id}"
    assert job.started_by_id == staff.id and job.arguments["rows"] == 2
    assert backends.wait(timeout=120)
    done = fetch(session, Job, job.id)
    assert done.status is JobStatus.FINISHED, done.error
    assert done.result["imported"] == 2 and done.result["refused"] is False
    assert sorted(need.title for need in needs_in(session)) == sorted(["独居老人助餐", "楼道灯损坏"])
    assert not any(exchange_jobs.exchange_dir(settings).glob("upload-*"))  # the stored upload went with it
    client.cookies.set("lang", "en")
    page = client.get(f"/admin/jobs/{job.id}")
    assert page.status_code == 200 and "Need list import" in page.text and "Finished" in page.text
    assert client.get("/admin/jobs").status_code == 403  # the list stays the admins'
    client.cookies.clear()
    staff_of(client, session, grid)  # another staff member of the same community
    assert client.get(f"/admin/jobs/{job.id}").status_code == 404  # not there for them, as a missing id


def test_a_file_over_the_threshold_becomes_a_job_and_a_refused_one_writes_nothing(
    client: TestClient[Any], session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exchange_jobs, "IMPORT_JOB_ROWS", 4)
    grid = make_grid(session)
    staff_of(client, session, grid)
    small = upload(client, settings, "needs.csv", (HEADER + good_rows(grid)).encode())
    assert small.status_code == 200 and jobs_of(session, "exchange.import") == []  # 2 rows: in the request
    large = send(client, settings, five_rows(grid).encode())
    assert large.status_code == 303
    assert backends.wait(timeout=120)
    [job] = jobs_of(session, "exchange.import")
    assert job.status is JobStatus.FINISHED and job.result["refused"] is True
    assert job.result["invalid_rows"] == [3, 5] and len(needs_in(session)) == 2  # all or nothing: none added


def _import_job(session_factory: sessionmaker[Session], settings: Settings, user_id: int, data: str) -> int:
    name = exchange_jobs.store_upload(settings, "needs.csv", data.encode())
    with session_scope(session_factory) as db:
        arguments = {"upload": name, "filename": "needs.csv", "only_valid": False, "language": "zh_CN"}
        return services.enqueue(db, "exchange.import", arguments, started_by_id=user_id).id or 0


def test_an_import_job_that_lost_its_claim_writes_nothing_and_a_second_delivery_is_skipped(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    grid = make_grid(session)
    staff = staff_of(client, session, grid)
    job_id = _import_job(session_factory, settings, staff.id, HEADER + good_rows(grid))
    # A worker claims it, is presumed dead, and another takes it over before the first one's commit.
    assert services.claim(session_factory, job_id, "first", 60)
    with session_scope(session_factory) as db:
        db.execute(sa.update(Job).where(Job.id == job_id).values(claimed_by="second"))
    context = runner.JobContext(
        job_id,
        "exchange.import",
        fetch(session, Job, job_id).arguments,
        1,
        staff.id,
        session_factory,
        session_factory,
        settings,
        "first",
    )
    with pytest.raises(services.LostClaim):
        kinds.exchange_import(context)
    assert needs_in(session) == []
    # Handed back and run for real: once. A late second delivery finds nothing to claim.
    with session_scope(session_factory) as db:
        db.execute(sa.update(Job).where(Job.id == job_id).values(status=JobStatus.QUEUED, claimed_by=None))
    assert runner.run(job_id, session_factory, session_factory, settings) == "finished"
    assert runner.run(job_id, session_factory, session_factory, settings) == "skipped"
    assert len(needs_in(session)) == 2


def test_a_failed_import_shows_its_error_and_its_uploader_retries_it(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    grid = make_grid(session)
    staff = staff_of(client, session, grid)
    job_id = _import_job(session_factory, settings, staff.id, HEADER + good_rows(grid))
    stored = exchange_jobs.exchange_dir(settings) / fetch(session, Job, job_id).arguments["upload"]
    content = stored.read_bytes()
    stored.unlink()
    assert runner.run(job_id, session_factory, session_factory, settings) == "failed"
    failed = fetch(session, Job, job_id)
    assert failed.status is JobStatus.FAILED and "upload it again" in (failed.error or "")
    client.cookies.set("lang", "en")
    page = client.get(f"/admin/jobs/{job_id}")
    assert "upload it again" in page.text and f'action="/admin/jobs/{job_id}/retry"' in page.text
    stored.write_bytes(content)
    retried = post_form(client, settings, f"/admin/jobs/{job_id}/retry")
    assert retried.status_code == 303
    assert backends.wait(timeout=120)
    assert fetch(session, Job, job_id).status is JobStatus.FINISHED and len(needs_in(session)) == 2


def test_an_export_job_keeps_the_askers_scope_and_only_they_download_it_until_it_is_removed(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    mine, elsewhere = make_grid(session), make_grid(session)
    sign_in_as(client, session, Role.ADMIN)
    rows = (
        f"楼道灯损坏,,renovation,{mine.code},hotline_12345,,,,,,,,,,\n"
        f"路面破损,,renovation,{elsewhere.code},grid_walk,,,,,,,,,,\n"
    )
    assert upload(client, settings, "n.csv", (HEADER + rows).encode()).status_code == 200
    client.cookies.clear()
    staff = staff_of(client, session, mine)
    asked = client.get("/needs/export.csv?background=1&category=renovation", follow_redirects=False)
    [job] = jobs_of(session, "exchange.export")
    assert asked.status_code == 303 and asked.headers["location"] == f"/admin/jobs/{job.id}"
    assert job.started_by_id == staff.id and job.arguments["filters"] == {"category": "renovation"}
    assert backends.wait(timeout=120)
    done = fetch(session, Job, job.id)
    assert done.status is JobStatus.FINISHED and done.result["rows"] == 1, done.error
    page = client.get(f"/admin/jobs/{job.id}")
    assert f'href="/admin/jobs/{job.id}/download"' in page.text
    file = client.get(f"/admin/jobs/{job.id}/download")
    assert file.status_code == 200 and file.headers["cache-control"] == "no-store"
    text = file.content.decode("utf-8-sig")
    assert "楼道灯损坏" in text and "路面破损" not in text  # the staff member's community only

    client.cookies.clear()
    other_admin = sign_in_as(client, session, Role.ADMIN)  # an admin sees the job, but the file is the asker's
    assert other_admin.id != staff.id
    assert client.get(f"/admin/jobs/{job.id}").status_code == 200
    assert client.get(f"/admin/jobs/{job.id}/download").status_code == 404
    client.cookies.clear()
    staff_of(client, session, mine)
    assert client.get(f"/admin/jobs/{job.id}/download").status_code == 404  # not who asked: not there for them

    assert exchange_jobs.remove_old_files(settings, exchange_jobs.RETENTION * 0 - exchange_jobs.RETENTION) == 1
    assert not exchange_jobs.export_file(settings, job.id or 0, "csv").exists()
