"""A city admin who records a need, or sees one recorded, finds it counted on the next load of /admin/city:
the page is computed for each request, never served from the anonymous page cache nor the figures memo."""

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.places.models import Community, Grid, Street
from marketplace.settings import Settings
from seeds.city import seed_city
from seeds.demo_accounts import DEMO_PASSWORD
from tests.live_server import LiveServer, start_serve
from tests.needs_helpers import need_body, token_for
from tests.security_helpers import login

TODAY = date(2026, 5, 1)
COLLECTED = re.compile(r'Needs collected</dt><dd class="key-value">([\d,]+)</dd>')


@pytest.fixture
def city(clean_engine: sa.Engine) -> None:
    seed_city(clean_engine, streets=2, today=TODAY)


def _collected(client: TestClient[Litestar] | httpx.Client) -> int:
    page = client.get("/admin/city", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    found = COLLECTED.search(page.text)
    assert found, "no 'Needs collected' figure on the city page"
    return int(found.group(1).replace(",", ""))


def test_a_recorded_need_is_counted_on_the_next_load_of_the_city_page(
    client: TestClient[Litestar], clean_engine: sa.Engine, city: None
) -> None:
    grid_id, secret = _staff_grid_and_token(clean_engine)
    assert login(client, "city", DEMO_PASSWORD).status_code == 303
    _record_and_count(client, client, grid_id, secret)


def _staff_grid_and_token(engine: sa.Engine) -> tuple[int, str]:
    """A grid of the demo staff's community and a needs token of theirs."""
    with Session(engine) as db:
        staff = db.execute(sa.select(User).where(User.username == "staff")).scalar_one()
        grid_id = (
            db.execute(sa.select(Grid.id).join(Community).where(Community.id == staff.community_id)).scalars().first()
        )
        assert len(list(db.execute(sa.select(Street.id)).scalars())) == 2 and grid_id is not None
        return grid_id, token_for(db, staff)


def _record_and_count(
    admin: TestClient[Litestar] | httpx.Client, staff: TestClient[Litestar] | httpx.Client, grid_id: int, secret: str
) -> None:
    client = admin
    before = _collected(client)
    streets_before = client.get("/api/v1/city/streets").json()["totals"]["needs_collected"]
    assert streets_before == before
    for number in (1, 2):
        # Recorded through the app by the community's staff (their token, a request of its own).
        made = staff.post(
            "/api/v1/needs",
            json=need_body(grid_id, title=f"新的需求 {number}"),
            headers={"Authorization": f"Bearer {secret}", "Cookie": ""},
        )
        assert made.status_code == 201, made.text
        # Every load after it, whichever worker answers.
        for _ in range(4):
            assert _collected(client) == before + number
        assert client.get("/api/v1/city/streets").json()["totals"]["needs_collected"] == before + number


@pytest.fixture
def server(
    database_url: str, tmp_path: Path, settings: Settings, clean_engine: sa.Engine, city: None
) -> Iterator[LiveServer]:
    served = start_serve(database_url, tmp_path / "var", workers=2, settings={"SECRET_KEY": settings.secret_key})
    try:
        yield served
    finally:
        served.stop()


def test_two_workers_count_a_need_recorded_by_either(server: LiveServer, clean_engine: sa.Engine) -> None:
    grid_id, secret = _staff_grid_and_token(clean_engine)
    with (
        httpx.Client(base_url=server.base_url, timeout=60) as admin,
        httpx.Client(base_url=server.base_url, timeout=60) as staff,
    ):
        assert login(admin, "city", DEMO_PASSWORD).status_code == 303  # type: ignore[arg-type]
        _record_and_count(admin, staff, grid_id, secret)
