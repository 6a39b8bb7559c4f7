"""The need list's exports (CSV, Excel, and the background export job) hold exactly the rows the list shows,
for every filter the list accepts: the list's own links carry its filters, and the exports read them by the
same definition (marketplace/needs/list_filters.py), not a copy that forgets some (overdue, 待验收, the
community, the reference number once were ignored: the file held every need).

The world is tests/street_fixtures.py's two streets; street A's needs get different categories, urgencies,
channels and due dates here so that every filter keeps some rows and drops others.
"""

import csv
import io
import re
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.jobs import backends
from marketplace.jobs.models import Job, JobStatus
from marketplace.needs.models import Need, NeedStatus
from marketplace.needs.services import NeedFilters
from marketplace.settings import Settings
from marketplace.street_clock import street_today
from marketplace.vocabulary import Category, IntakeChannel, Urgency
from tests.security_helpers import fetch
from tests.security_world import use
from tests.street_fixtures import TwoStreets, build_two_streets


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings, app: Litestar) -> TwoStreets:
    world = build_two_streets(session, session_factory, settings)
    past = street_today() - timedelta(days=3)
    for n, need in enumerate(world.a.needs.values()):
        row = session.get(Need, need.id)
        assert row is not None
        row.category = [Category.RENOVATION, Category.ELDERLY_CARE, Category.SANITATION][n % 3]
        row.urgency = [Urgency.HIGH, Urgency.NORMAL][n % 2]
        row.channel = [IntakeChannel.HOTLINE_12345, IntakeChannel.GRID_WALK, IntakeChannel.WALK_IN][n % 3]
        row.due_date = past if n % 2 == 0 else None
        session.add(row)
    session.commit()
    return world


def _query(world: TwoStreets) -> dict[str, dict[str, str]]:
    """Each filter the list accepts, as its own links say it."""
    a = world.a
    return {
        "status": {"status": "completed"},
        "category": {"category": "renovation"},
        "grid": {"grid": str(a.grids[1].id)},
        "community": {"community": str(a.grids[1].community_id)},
        "channel": {"channel": "grid_walk"},
        "urgency": {"urgency": "high"},
        "to_review": {"to_review": "true"},
        "overdue": {"overdue": "true"},
        "ready_to_verify": {"ready_to_verify": "true"},
        "q": {"q": f"XQ-{a.needs[NeedStatus.COMPLETED].id:06d}"},
        "overdue and category": {"overdue": "true", "category": "renovation"},
        "ready and community": {"ready_to_verify": "true", "community": str(a.grids[0].community_id)},
    }


def _listed(client: TestClient[Any], query: dict[str, str]) -> tuple[set[int], str]:
    """The ids the list shows for ``query`` (every page) and the export link's query string it offers."""
    ids: set[int] = set()
    link = ""
    for page in range(1, 20):
        text = client.get("/needs", params={**query, "page": str(page)}).text
        found = {int(n) for n in re.findall(r'<td><a href="/needs/(\d+)">', text)}
        if page == 1:
            link = re.search(r'href="/needs/export\.csv\??([^"]*)"', text).group(1)  # type: ignore[union-attr]
        if not found - ids:
            break
        ids |= found
    return ids, link.replace("&amp;", "&")


def _csv_ids(content: bytes) -> set[int]:
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    column = rows[0].index("ID")
    return {int(row[column]) for row in rows[1:] if row and row[column].isdigit()}


def _xlsx_ids(content: bytes) -> set[int]:
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    column = list(rows[0]).index("ID")
    return {int(row[column]) for row in rows[1:] if isinstance(row[column], int | float)}


FILTERS = [
    "status",
    "category",
    "grid",
    "community",
    "channel",
    "urgency",
    "to_review",
    "overdue",
    "ready_to_verify",
    "q",
    "overdue and category",
    "ready and community",
]


@pytest.mark.parametrize("name", FILTERS)
def test_each_filter_exports_exactly_the_rows_the_list_shows(
    client: TestClient[Litestar], world: TwoStreets, name: str
) -> None:
    use(client, world.identities["admin A"])
    client.cookies.set("lang", "en")
    query = _query(world)[name]
    everything, _link = _listed(client, {})
    shown, link = _listed(client, query)
    assert shown and shown != everything, "the filter keeps some rows and drops others"
    # The list's own export links carry the filter, and the files hold the list's rows, no more.
    csv_file = client.get(f"/needs/export.csv?{link}")
    assert csv_file.status_code == 200, csv_file.text
    assert _csv_ids(csv_file.content) == shown
    xlsx_file = client.get(f"/needs/export.xlsx?{link}")
    assert xlsx_file.status_code == 200
    assert _xlsx_ids(xlsx_file.content) == shown
    # Residents' names and phones stay masked in the file.
    secrets = world.a.secrets
    assert secrets["beneficiary_phone"] not in csv_file.content.decode("utf-8-sig")
    assert secrets["beneficiary"] not in csv_file.content.decode("utf-8-sig")


def test_the_background_export_job_keeps_every_filter(
    client: TestClient[Litestar], world: TwoStreets, session: Session
) -> None:
    use(client, world.identities["admin A"])
    client.cookies.set("lang", "en")
    query = {"overdue": "true", "community": str(world.a.grids[0].community_id), "urgency": "high"}
    shown, link = _listed(client, query)
    assert shown
    asked = client.get(f"/needs/export.csv?{link}&background=1", follow_redirects=False)
    assert asked.status_code == 303
    job_id = int(asked.headers["location"].rsplit("/", 1)[1])
    assert backends.wait(timeout=120)
    done = fetch(session, Job, job_id)
    assert done.status is JobStatus.FINISHED, done.error
    file = client.get(f"/admin/jobs/{job_id}/download")
    assert file.status_code == 200
    assert _csv_ids(file.content) == shown


def test_the_definition_reads_back_what_it_writes() -> None:
    """The links and the job's arguments give the same filters again, for every field of NeedFilters."""
    from marketplace.needs import list_filters

    filters = NeedFilters(
        status=NeedStatus.COMPLETED,
        category=Category.RENOVATION,
        grid_id=7,
        channel=IntakeChannel.GRID_WALK,
        urgency=Urgency.HIGH,
        to_review=True,
        need_id=202,
        overdue=True,
        community_id=3,
        ready_to_verify=True,
    )
    assert list_filters.filters_in(list_filters.filters_out(filters)) == filters
    query = list_filters.filter_query(filters)
    again = list_filters.staff_list_filters(
        status=NeedStatus(query["status"]),
        category=Category(query["category"]),
        grid=int(query["grid"]),
        community=int(query["community"]),
        channel=IntakeChannel(query["channel"]),
        urgency=Urgency(query["urgency"]),
        to_review=query["to_review"] == "true",
        overdue=query["overdue"] == "true",
        ready_to_verify=query["ready_to_verify"] == "true",
        q=query["q"],
    )
    assert again == filters
    assert list_filters.filter_query(NeedFilters()) == {}


def test_a_filter_the_list_refuses_the_export_refuses_too(client: TestClient[Litestar], world: TwoStreets) -> None:
    use(client, world.identities["admin A"])
    for query in ({"q": "not-a-reference"}, {"overdue": "maybe"}, {"ready_to_verify": "perhaps"}):
        assert client.get("/needs", params=query).status_code == 400
        assert client.get("/needs/export.csv", params=query).status_code == 400
        assert client.get("/needs/export.xlsx", params=query).status_code == 400
