"""Forms and staff lists offer the grids one can choose from, not a city's every grid.

In a deployment of a whole city (100 streets, 2,100 grids), the public report form was 157 KB with 2,116
options, the organization registration 300 KB, a city admin's need, offer and volunteer lists 170-210 KB. Now
the public forms ask for the street first (a field of the form; ``?street=<code>`` links choose it) and list its
grids only, refusing another street's grid with a field error; a city admin's lists name the communities and list
the chosen community's grids; a street admin's list their street's; a one-street deployment lists its own.
"""

import re
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.needs.models import Need
from marketplace.organizations.models import Organization, OrganizationGrid
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests.orgs_helpers import valid_credit_code
from tests.security_helpers import DEFAULT_PASSWORD, login, make_grid, post_form, reading
from tests.street_fixtures import TwoStreets, build_two_streets
from tests.test_city_filter_places import _options
from tests.test_organizations import registration

STREET_FIRST = "Choose your street above, then your grid."
ORGANIZATION_STREET_FIRST = "Choose your street above, then the grids your organization serves."
COMMUNITY_FIRST = "Choose a community to pick one of its grids."


@pytest.fixture
def world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    return build_two_streets(session, session_factory, settings)


def _checkboxes(html: str, name: str) -> set[int]:
    return {int(value) for value in re.findall(rf'type="checkbox" name="{name}" value="(\d+)"', html)}


def _grids_of(session: Session, *community_ids: int | None) -> set[int]:
    with reading(session) as fresh:
        rows = fresh.execute(sa.select(Grid.id).where(Grid.community_id.in_(community_ids)))  # type: ignore[union-attr]
        return {int(grid_id) for (grid_id,) in rows}


def _street_grids(session: Session, world: TwoStreets, key: str) -> set[int]:
    side = world.a if key == "A" else world.b
    return _grids_of(session, *(c.id for c in side.communities))


def _chosen_street(html: str) -> str | None:
    """The street the form's street field has chosen (None: none yet, or no such field)."""
    field = re.search(r'<select id="f-street"[^>]*>(.*?)</select>', html, re.S)
    chosen = re.search(r'<option value="([^"]+)" selected>', field.group(1)) if field else None
    return chosen.group(1) if chosen else None


def _english(client: TestClient[Any], path: str) -> str:
    client.cookies.set("lang", "en")
    answer = client.get(path)
    assert answer.status_code == 200, answer.text[-2000:]
    return answer.text


def _report(grid_id: int, **fields: str) -> dict[str, str]:
    values = {
        "title": "小区路灯不亮",
        "description": "6号楼前的路灯坏了一周。",
        "category": "travel_safety",
        "grid_id": str(grid_id),
        "beneficiary_name": "赵明",
        "beneficiary_phone": "13700001111",
    }
    return values | fields


def _needs_titled(session: Session, title: str) -> list[Need]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Need).where(Need.title == title)).scalars())


# --- the public forms ----------------------------------------------------------------------------------


def test_the_report_form_asks_for_a_street_and_lists_its_grids_only(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    first = _english(client, "/submit")
    assert _options(first, "f-grid_id") is None and STREET_FIRST in first
    assert 'id="f-street"' in first and 'id="street-picker"' not in first

    chosen = _english(client, f"/submit?street={world.b.street.code}")
    assert _options(chosen, "f-grid_id") == _street_grids(session, world, "B")
    assert _chosen_street(chosen) == world.b.street.code
    assert STREET_FIRST not in chosen

    assert client.get("/submit?street=no-such-street").status_code == 400


def test_a_report_in_street_b_with_bs_grid_is_received(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    client.cookies.set("lang", "en")
    grid = world.b.grids[0].id
    response = post_form(client, settings, "/submit", _report(grid, street=world.b.street.code))
    assert response.status_code == 303, response.text[-2000:]
    [need] = _needs_titled(session, "小区路灯不亮")
    assert need.grid_id == grid


def test_a_report_with_another_streets_grid_is_refused_on_the_field(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    client.cookies.set("lang", "en")
    response = post_form(client, settings, "/submit", _report(world.a.grids[0].id, street=world.b.street.code))
    assert response.status_code == 400
    assert 'id="grid_id-error"' in response.text and "Choose a grid of the street chosen above." in response.text
    # The re-rendered form still lists street B's grids and keeps the street.
    assert _options(response.text, "f-grid_id") == _street_grids(session, world, "B")
    assert _chosen_street(response.text) == world.b.street.code
    assert _needs_titled(session, "小区路灯不亮") == []


def test_the_registration_asks_for_a_street_and_lists_its_grids_only(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    first = _english(client, "/register/organization")
    assert _checkboxes(first, "grid_ids") == set() and ORGANIZATION_STREET_FIRST in first
    chosen = _english(client, f"/register/organization?street={world.b.street.code}")
    assert _checkboxes(chosen, "grid_ids") == _street_grids(session, world, "B")
    assert ORGANIZATION_STREET_FIRST not in chosen


def test_an_organization_registers_in_street_b_with_bs_grids(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    client.cookies.set("lang", "en")
    grids = sorted(_street_grids(session, world, "B"))
    form = registration(grids, credit_code=valid_credit_code(7), street=world.b.street.code)
    response = post_form(client, settings, "/register/organization", form)
    assert response.status_code == 303, response.text[-2000:]
    with reading(session) as fresh:
        org = fresh.execute(sa.select(Organization).where(Organization.name_en == form["name_en"])).scalar_one()
        assert org.street_id == world.b.street.id
        served = fresh.execute(sa.select(OrganizationGrid.grid_id).where(OrganizationGrid.organization_id == org.id))
        assert set(served.scalars()) == set(grids)


def test_a_registration_with_another_streets_grid_is_refused_on_the_field(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    client.cookies.set("lang", "en")
    form = registration(
        [world.b.grids[0].id, world.a.grids[0].id], credit_code=valid_credit_code(7), street=world.b.street.code
    )
    response = post_form(client, settings, "/register/organization", form)
    assert response.status_code == 400
    assert 'id="grid_ids-error"' in response.text
    assert "Choose grids of the street chosen above." in response.text
    assert _checkboxes(response.text, "grid_ids") == _street_grids(session, world, "B")
    with reading(session) as fresh:
        found = fresh.execute(sa.select(Organization).where(Organization.name_en == form["name_en"])).all()
        assert found == []


def test_the_volunteer_registration_lists_the_chosen_streets_grids(
    client: TestClient[Any], session: Session, settings: Settings, world: TwoStreets
) -> None:
    first = _english(client, "/register/volunteer")
    assert _options(first, "f-home_grid_id") is None and STREET_FIRST in first
    chosen = _english(client, f"/register/volunteer?street={world.b.street.code}")
    assert _options(chosen, "f-home_grid_id") == _street_grids(session, world, "B")
    form = {
        "username": "xiaoli",
        "display_name": "李小",
        "phone": "13900001111",
        "password": "volunteers keep the lanes clean",
        "home_grid_id": str(world.a.grids[0].id),
        "segment": "resident",
        "weekly_hour_cap": "8",
        "street": world.b.street.code,
    }
    refused = post_form(client, settings, "/register/volunteer", form)
    assert refused.status_code == 400 and 'id="home_grid_id-error"' in refused.text
    accepted = post_form(client, settings, "/register/volunteer", form | {"home_grid_id": str(world.b.grids[0].id)})
    assert accepted.status_code == 303, accepted.text[-2000:]


def test_a_one_street_deployment_lists_its_grids_on_the_public_forms(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    session.commit()
    assert grid.id is not None
    report = _english(client, "/submit")
    assert _options(report, "f-grid_id") == {grid.id} and STREET_FIRST not in report
    assert 'id="street-picker"' not in report
    registration = _english(client, "/register/organization")
    assert _checkboxes(registration, "grid_ids") == {grid.id}
    assert post_form(client, settings, "/submit", _report(grid.id)).status_code == 303


# --- the staff lists -----------------------------------------------------------------------------------

LISTS = [
    ("/needs", "f-grid", "community"),
    ("/offers", "f-grid", "community_id"),
    ("/volunteers", "v-grid", "community"),
]


@pytest.mark.parametrize(("path", "grid_select", "community_param"), LISTS)
def test_a_city_admins_list_names_communities_and_lists_a_chosen_ones_grids(
    client: TestClient[Any], session: Session, world: TwoStreets, path: str, grid_select: str, community_param: str
) -> None:
    assert login(client, world.city_admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    page = _english(client, path)
    assert _options(page, grid_select) == set() and COMMUNITY_FIRST in page
    every = {c.id for c in world.a.communities + world.b.communities}
    community_select = "v-community" if path == "/volunteers" else "f-community"
    assert every <= (_options(page, community_select) or set())

    chosen = world.b.communities[0].id
    narrowed = _english(client, f"{path}?{community_param}={chosen}")
    assert _options(narrowed, grid_select) == _grids_of(session, chosen)
    assert COMMUNITY_FIRST not in narrowed
    grid = world.a.grids[0]
    grid_param = "grid_id" if path == "/offers" else "grid"
    by_grid = _english(client, f"{path}?{grid_param}={grid.id}")
    assert _options(by_grid, grid_select) == _grids_of(session, grid.community_id)


@pytest.mark.parametrize(("path", "grid_select", "community_param"), LISTS)
def test_a_street_admins_list_offers_their_streets_grids_only(
    client: TestClient[Any], session: Session, world: TwoStreets, path: str, grid_select: str, community_param: str
) -> None:
    assert login(client, world.b.admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    page = _english(client, path)
    assert _options(page, grid_select) == _street_grids(session, world, "B")
    assert COMMUNITY_FIRST not in page


def test_a_city_admins_need_list_filters_by_community(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    assert login(client, world.city_admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    chosen = world.b.communities[0]
    page = _english(client, f"/needs?community={chosen.id}")
    shown = {int(i) for i in re.findall(r'href="/needs/(\d+)"', page)}
    with reading(session) as fresh:
        inside = set(
            fresh.execute(sa.select(Need.id).join(Grid, Grid.id == Need.grid_id).where(Grid.community_id == chosen.id))
            .scalars()
            .all()
        )
    assert shown and shown <= inside


def test_the_need_list_names_its_rows_grids(client: TestClient[Any], session: Session, world: TwoStreets) -> None:
    assert login(client, world.city_admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    page = _english(client, "/needs")
    grid = world.b.project.grid_id
    with reading(session) as fresh:
        row = fresh.get(Grid, grid)
        assert row is not None
        name = row.name_en or row.name
    assert f">{name}</td>" in page


def test_a_city_admin_records_a_need_after_choosing_its_street(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    assert login(client, world.city_admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    first = _english(client, "/needs/new")
    assert _options(first, "f-grid_id") is None and "Choose the need's street above, then its grid." in first
    chosen = _english(client, f"/needs/new?street={world.b.street.code}")
    assert _options(chosen, "f-grid_id") == _street_grids(session, world, "B")
    # Editing a need lists the grids of its street.
    edit = _english(client, f"/needs/{world.a.project.id}/edit")
    assert _options(edit, "f-grid_id") == _street_grids(session, world, "A")


def test_street_admins_and_staff_record_needs_in_their_own_grids(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    assert login(client, world.b.admin.username, DEFAULT_PASSWORD).status_code in (302, 303)
    assert _options(_english(client, "/needs/new"), "f-grid_id") == _street_grids(session, world, "B")
    client.cookies.clear()
    assert login(client, world.b.staff.username, DEFAULT_PASSWORD).status_code in (302, 303)
    assert _options(_english(client, "/needs/new"), "f-grid_id") == _grids_of(session, world.b.communities[0].id)


def test_a_partners_forms_list_the_grids_of_the_streets_it_serves(
    client: TestClient[Any], session: Session, world: TwoStreets
) -> None:
    assert login(client, world.b.partner.username, DEFAULT_PASSWORD).status_code in (302, 303)
    assert _checkboxes(_english(client, "/offers/new"), "grid_ids") == _street_grids(session, world, "B")
    assert _checkboxes(_english(client, "/organization"), "grid_ids") == _street_grids(session, world, "B")
    client.cookies.clear()
    # An organization registered in A that serves a grid of B too: both streets' grids.
    assert login(client, world.both_partner.username, DEFAULT_PASSWORD).status_code in (302, 303)
    both = _street_grids(session, world, "A") | _street_grids(session, world, "B")
    assert _checkboxes(_english(client, "/offers/new"), "grid_ids") == both
    assert _checkboxes(_english(client, "/organization"), "grid_ids") == both


def test_the_volunteer_registration_offers_the_chosen_streets_employers(
    client: TestClient[Any], world: TwoStreets
) -> None:
    first = _english(client, "/register/volunteer")
    assert _options(first, "f-employer") == set()
    chosen = _english(client, f"/register/volunteer?street={world.b.street.code}")
    employers = _options(chosen, "f-employer") or set()
    assert world.b.organization.id in employers and world.both_organization.id in employers
    assert world.a.organization.id not in employers
    assert world.b.pending_organization.id not in employers
