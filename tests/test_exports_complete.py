"""The volunteer and organization exports hold every row of the list, however long: they are read a page at a
time while the file streams out (the export once stopped at 20,000 of a city's 100,000 volunteers without a
word). With pages of 2 rows, 7 volunteers and 5 organizations come out whole, once each, in the list's order,
in CSV and .xlsx, and the response names the count (``X-Export-Rows``). An .xlsx longer than a request
writes (XLSX_IN_REQUEST_ROWS) is written by a background job whose page offers the whole file to the asker."""

import csv
import io
from typing import Any

import pytest
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.exchange import paging
from marketplace.exchange import volunteers as volunteer_export
from marketplace.jobs import backends
from marketplace.jobs.models import Job, JobStatus
from tests import factories
from tests.security_helpers import default_street, fetch, make_community, make_grid, make_org, sign_in_as

VOLUNTEERS, ORGANIZATIONS = 7, 5


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paging, "PAGE_ROWS", 2)


def _csv_ids(content: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    return [row[0] for row in rows[1:]]


def _xlsx_ids(content: bytes) -> list[str]:
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    return [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_every_volunteer_is_exported_page_after_page(
    client: TestClient[Any], session: Session, small_pages: None
) -> None:
    grid = make_grid(session, make_community(session, default_street(session)))
    made = [factories.make_volunteer(session, grid, display_name=f"志愿者{n}") for n in range(VOLUNTEERS)]
    session.commit()
    sign_in_as(client, session, Role.ADMIN)  # the street's admin
    listed = [str(row.id) for row in made]

    response = client.get("/volunteers/export?format=csv")
    assert response.status_code == 200 and response.headers["x-export-rows"] == str(VOLUNTEERS)
    ids = _csv_ids(response.content)
    assert sorted(ids) == sorted(listed) and len(set(ids)) == VOLUNTEERS

    sheet = client.get("/volunteers/export?format=xlsx")
    assert sheet.status_code == 200 and sheet.headers["x-export-rows"] == str(VOLUNTEERS)
    assert _xlsx_ids(sheet.content) == ids  # the same order: the list's


def test_every_organization_is_exported_page_after_page(
    client: TestClient[Any], session: Session, small_pages: None
) -> None:
    made = [make_org(session, name=f"导出测试企业{n}") for n in range(ORGANIZATIONS)]
    session.commit()
    sign_in_as(client, session, Role.ADMIN)  # the street's admin

    response = client.get("/directory/organizations/export?format=csv")
    assert response.status_code == 200
    total = int(response.headers["x-export-rows"])
    ids = _csv_ids(response.content)
    assert total == len(ids) == len(set(ids)) >= ORGANIZATIONS
    assert {str(org.id) for org in made} <= set(ids)

    sheet = client.get("/directory/organizations/export?format=xlsx")
    assert sheet.status_code == 200 and _xlsx_ids(sheet.content) == ids


def test_a_long_xlsx_is_written_by_a_job_whose_page_offers_every_row(
    client: TestClient[Any], session: Session, small_pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(volunteer_export, "XLSX_IN_REQUEST_ROWS", 3)
    grid = make_grid(session, make_community(session, default_street(session)))
    made = [factories.make_volunteer(session, grid, display_name=f"志愿者{n}") for n in range(VOLUNTEERS)]
    session.commit()
    sign_in_as(client, session, Role.ADMIN)
    assert client.get("/volunteers/export?format=csv").headers["x-export-rows"] == str(VOLUNTEERS)  # CSV streams

    asked = client.get("/volunteers/export?format=xlsx&sort=name", follow_redirects=False)
    assert asked.status_code == 303 and asked.headers["location"].startswith("/admin/jobs/")
    job_id = int(asked.headers["location"].rsplit("/", 1)[1])
    assert backends.wait(timeout=120)
    done = fetch(session, Job, job_id)
    assert done.status is JobStatus.FINISHED and done.result["rows"] == VOLUNTEERS, done.error
    assert done.arguments["list"] == "volunteers" and done.arguments["query"]["sort"] == "name"
    page = client.get(f"/admin/jobs/{job_id}")
    assert f'href="/admin/jobs/{job_id}/download"' in page.text and "清单导出" in page.text
    # The page that watched the job run gets the link with its last progress fragment, without a reload.
    assert f'href="/admin/jobs/{job_id}/download"' in client.get(f"/admin/jobs/{job_id}/progress").text
    file = client.get(f"/admin/jobs/{job_id}/download")
    assert file.status_code == 200 and file.headers["cache-control"] == "no-store"
    assert sorted(_xlsx_ids(file.content)) == sorted(str(row.id) for row in made)
