"""The city level: each street's figures and the city's agree, public pages filter by street, the city page
and its API are for city admins only, and ``marketplace seed city`` builds separated streets."""

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.admin.city import city_streets
from marketplace.cli import main
from marketplace.dashboard.figures import street_figures
from marketplace.needs.models import Need
from marketplace.organizations.models import Organization, OrganizationGrid
from marketplace.places.models import Community, Grid, Street
from marketplace.security.tokens import create_api_token
from marketplace.volunteers.models import VolunteerProfile
from seeds.city import seed_city
from seeds.demo_accounts import DEMO_PASSWORD
from tests.security_helpers import login

TODAY = date(2026, 5, 1)
HUDAO, SECOND = "370203-hudao", "370202-badaguan"


@pytest.fixture
def city(clean_engine: sa.Engine) -> dict[str, int]:
    """Two seeded streets: Hudao with its story and Badaguan Street; street code -> id."""
    seed_city(clean_engine, streets=2, today=TODAY)
    with Session(clean_engine) as db:
        return {street.code: street.id for street in db.execute(sa.select(Street)).scalars()}  # type: ignore[misc]


def _signed_in(client: TestClient[Litestar], username: str) -> TestClient[Litestar]:
    assert login(client, username, DEMO_PASSWORD).status_code == 303
    return client


# -- figures per street ------------------------------------------------------------------------------


def test_the_streets_figures_add_up_to_the_whole_city(clean_engine: sa.Engine, city: dict[str, int]) -> None:
    with Session(clean_engine) as db:
        whole = street_figures(db, today=TODAY)
        parts = [street_figures(db, street_id, today=TODAY) for street_id in city.values()]
    for name in (
        "needs_collected",
        "needs_solved",
        "open_projects",
        "partners_approved",
        "offers_active",
        "volunteers_registered",
        "grids",
        "satisfaction_count",
    ):
        assert getattr(whole, name) == sum(getattr(part, name) for part in parts), name
        assert all(getattr(part, name) > 0 for part in parts), name
    for name in ("volunteer_hours", "volunteer_hours_credited", "volunteer_hours_before_platform"):
        assert getattr(whole, name) == pytest.approx(sum(getattr(part, name) for part in parts)), name
    assert whole.hours.shifts_served == sum(part.hours.shifts_served for part in parts)
    assert len(whole.by_grid) == sum(len(part.by_grid) for part in parts) == 42
    assert {tally.grid_code[:2] for tally in parts[0].by_grid} == {"HD"}


def test_the_city_table_says_what_each_streets_figures_say(clean_engine: sa.Engine, city: dict[str, int]) -> None:
    with Session(clean_engine) as db:
        rows = {row.code: row for row in city_streets(db, today=TODAY)}
        for code, street_id in city.items():
            figures = street_figures(db, street_id, today=TODAY)
            row = rows[code]
            assert row.needs_collected == figures.needs_collected
            assert row.needs_solved == figures.needs_solved
            assert row.needs_open == figures.open_projects
            assert row.completion_rate == pytest.approx(figures.completion_rate)
            assert row.average_days_to_close == figures.average_days_to_close
            assert row.partners == figures.partners_approved
            assert row.volunteers == figures.volunteers_registered
            assert row.volunteer_hours == pytest.approx(figures.volunteer_hours)
            assert row.escalated >= 1 or code != HUDAO  # Hudao's story escalates needs


def test_public_pages_take_a_street_and_refuse_an_unknown_one(
    client: TestClient[Litestar], city: dict[str, int]
) -> None:
    whole = client.get("/api/v1/stats").json()
    hudao = client.get("/api/v1/stats", params={"street": HUDAO}).json()
    second = client.get("/api/v1/stats", params={"street": SECOND}).json()
    assert whole["needs_collected"] == hudao["needs_collected"] + second["needs_collected"]
    assert {grid["grid_code"][:2] for grid in hudao["by_grid"]} == {"HD"}

    grids = client.get("/api/v1/grids", params={"street": SECOND}).json()
    assert len(grids) == 21 and all(grid["code"].startswith("BADAGUAN-") for grid in grids)
    assert len(client.get("/api/v1/grids").json()) == 42

    projects = client.get("/api/v1/projects", params={"street": HUDAO, "page_size": 100}).json()
    every = client.get("/api/v1/projects", params={"page_size": 1}).json()
    other = client.get("/api/v1/projects", params={"street": SECOND, "page_size": 1}).json()
    assert projects["total"] + other["total"] == every["total"] and other["total"] > 0
    assert all(card["grid"]["code"].startswith("HD-") for card in projects["items"])

    page = client.get("/figures", params={"street": SECOND})
    assert page.status_code == 200 and "八大关街道" in page.text and 'name="street"' in page.text
    board = client.get("/", params={"street": SECOND})
    assert board.status_code == 200 and 'type="hidden" name="street" value="370202-badaguan"' in board.text

    for path in ("/api/v1/stats", "/api/v1/grids", "/api/v1/projects"):
        refused = client.get(path, params={"street": "370299-nowhere"})
        assert refused.status_code == 400 and refused.json()["extra"][0]["key"] == "street", path
    for path in ("/figures", "/"):
        refused = client.get(path, params={"street": "nowhere"})
        assert refused.status_code == 400 and "street" in refused.text, path


def test_one_street_shows_no_street_picker(client: TestClient[Litestar], clean_engine: sa.Engine) -> None:
    seed_city(clean_engine, streets=1, today=TODAY)
    for path in ("/figures", "/"):
        page = client.get(path)
        assert page.status_code == 200 and 'id="street-picker"' not in page.text, path
    assert client.get("/figures", params={"street": HUDAO}).status_code == 200


# -- the city page and its API ---------------------------------------------------------------------------


def test_the_city_page_is_for_city_admins(client: TestClient[Litestar], city: dict[str, int]) -> None:
    _signed_in(client, "city")
    page = client.get("/admin/city")
    assert page.status_code == 200
    assert "湖岛街道" in page.text and "八大关街道" in page.text and "市南区" in page.text
    assert f'href="/figures?street={SECOND}"' in page.text and f'href="/?street={HUDAO}"' in page.text
    assert 'href="/admin/city"' in client.get("/admin").text
    body = client.get("/api/v1/city/streets").json()
    assert [row["code"] for row in body["streets"]] == [SECOND, HUDAO]  # by code: Shinan's division first
    assert body["totals"]["streets"] == 2
    assert body["totals"]["needs_collected"] == client.get("/api/v1/stats").json()["needs_collected"]


def test_street_admins_are_refused_the_city_page(client: TestClient[Litestar], city: dict[str, int]) -> None:
    _signed_in(client, "badaguan-admin")
    assert client.get("/admin").status_code == 200
    assert 'href="/admin/city"' not in client.get("/admin").text
    assert client.get("/admin/city").status_code == 403
    assert client.get("/api/v1/city/streets").status_code == 403


def test_the_city_api_takes_a_token_with_its_scope(
    client: TestClient[Litestar], clean_engine: sa.Engine, city: dict[str, int]
) -> None:
    with Session(clean_engine) as db:
        user_ids = {
            name: db.execute(sa.select(User.id).where(User.username == name)).scalar_one() for name in ("city", "admin")
        }
        secrets = {}
        for name, scopes in (("city", ["city:read"]), ("city-admin-scope", ["admin"]), ("admin", ["city:read"])):
            owner = user_ids["city" if name.startswith("city") else "admin"]
            secrets[name], _row = create_api_token(db, user_id=owner, name=name, scopes=scopes, created_by_id=None)  # type: ignore[arg-type]
        db.commit()

    def get(secret: str) -> int:
        return client.get("/api/v1/city/streets", headers={"Authorization": f"Bearer {secret}"}).status_code

    assert get(secrets["city"]) == 200
    assert get(secrets["city-admin-scope"]) == 403  # the token lacks city:read
    assert get(secrets["admin"]) == 403  # a street admin's token, whatever its scopes


def test_the_city_sorts_by_each_column(client: TestClient[Litestar], city: dict[str, int]) -> None:
    _signed_in(client, "city")
    base = client.get("/api/v1/city/streets").json()["streets"]
    for column in (
        "needs_collected",
        "needs_open",
        "needs_solved",
        "completion_rate",
        "average_days_to_close",
        "overdue",
        "escalated",
        "partners",
        "volunteers",
        "volunteer_hours",
    ):
        values = sorted((row[column] for row in base), reverse=True)
        descending = client.get("/api/v1/city/streets", params={"sort": f"-{column}"}).json()
        assert descending["sort"] == f"-{column}"
        assert [row[column] for row in descending["streets"]] == values, column
        ascending = client.get("/api/v1/city/streets", params={"sort": column}).json()["streets"]
        assert [row[column] for row in ascending] == values[::-1], column
        assert client.get("/admin/city", params={"sort": f"-{column}"}).status_code == 200
    by_name = client.get("/api/v1/city/streets", params={"sort": "-name"}).json()["streets"]
    assert [row["code"] for row in by_name] == [HUDAO, SECOND]
    page = client.get("/admin/city", params={"sort": "-volunteers"}).text
    assert 'aria-sort="descending"' in page and 'href="/admin/city?sort=volunteers"' in page
    refused = client.get("/api/v1/city/streets", params={"sort": "beauty"})
    assert refused.status_code == 400 and refused.json()["extra"][0]["key"] == "sort"
    assert client.get("/admin/city", params={"sort": "beauty"}).status_code == 400


# -- seeding a city ------------------------------------------------------------------------------------


def test_seed_city_builds_separated_streets(tmp_path: Path) -> None:
    env = {"MARKETPLACE_DATABASE_URL": f"sqlite:///{tmp_path / 'city.sqlite3'}", "MARKETPLACE_VAR_DIR": str(tmp_path)}
    seeded = CliRunner().invoke(main, ["seed", "city", "--streets", "2", "--today", "2026-05-01"], env=env)
    assert seeded.exit_code == 0, seeded.output
    assert "Street 1/2: 湖岛街道 Hudao Street" in seeded.output and "Street 2/2: 八大关街道" in seeded.output
    engine = sa.create_engine(env["MARKETPLACE_DATABASE_URL"])
    try:
        with Session(engine) as db:
            streets = {s.code: s for s in db.execute(sa.select(Street)).scalars()}
            assert set(streets) == {HUDAO, SECOND}
            assert streets[SECOND].name_en == "Badaguan Street" and streets[SECOND].district == "市南区"
            admins = {
                u.username: u.street_id for u in db.execute(sa.select(User).where(User.role == "admin")).scalars()
            }
            assert admins["city"] is None
            assert admins["admin"] == streets[HUDAO].id and admins["badaguan-admin"] == streets[SECOND].id
            street_of_grid = dict(
                db.execute(
                    sa.select(Grid.id, Community.street_id).join(Community, Community.id == Grid.community_id)
                ).all()
            )
            # Each street has its own communities and grids, at its own place.
            for street in streets.values():
                assert sum(1 for sid in street_of_grid.values() if sid == street.id) == 21
            latitudes = dict(
                db.execute(
                    sa.select(Community.street_id, sa.func.avg(Grid.latitude))
                    .join(Community, Community.id == Grid.community_id)
                    .group_by(Community.street_id)
                ).all()
            )
            assert abs(latitudes[streets[HUDAO].id] - latitudes[streets[SECOND].id]) > 0.02
            # Partners serve only grids of their own street; volunteers live in one; needs lie in one.
            for org_id, grid_id in db.execute(sa.select(OrganizationGrid.organization_id, OrganizationGrid.grid_id)):
                assert street_of_grid[grid_id] == db.get(Organization, org_id).street_id  # type: ignore[union-attr]
            organizations = {o.street_id: o.credit_code for o in db.execute(sa.select(Organization)).scalars()}
            assert organizations[streets[SECOND].id][2:8] == "370202"  # the district's division
            homes = {street_of_grid[v.home_grid_id] for v in db.execute(sa.select(VolunteerProfile)).scalars()}
            needs = {street_of_grid[n.grid_id] for n in db.execute(sa.select(Need)).scalars()}
            assert homes == needs == {streets[HUDAO].id, streets[SECOND].id}
    finally:
        engine.dispose()
