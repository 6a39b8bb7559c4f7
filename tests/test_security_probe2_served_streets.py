"""An organization serves another street only when that street has it: its manager cannot add one by ticking
a grid of it.

Found by the second security probe (a live two-street server): the manager of a Hudao organization posted
``/organization`` with a Badaguan grid added to its grids (the form offers only its streets' grids, the post
named one anyway) and it was saved (303). From then on the organization served Badaguan without Badaguan's
admins ever vetting it: its offers could name Badaguan grids, it could claim Badaguan's projects and be
proposed there. The application's check (registration, resubmission, an admin's correction) kept grids to the
streets served; the manager's edit only checked that the grids exist. The rule is now in the one place every
writer of an organization's grids goes through (``organizations.served_streets.set_service_grids``): a grid of
a street it does not serve is a 400 naming ``grid_ids``, nothing saved.
"""

from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.offers.models import Offer
from marketplace.organizations import served_streets
from marketplace.organizations.models import Organization, OrganizationGrid
from marketplace.organizations.scope import street_ids_served_by
from marketplace.settings import Settings
from tests.security_helpers import reading
from tests.security_world import use
from tests.street_fixtures import TwoStreets, build_two_streets


def _as(client: TestClient[Any], world: TwoStreets, role: str, lang: str = "zh") -> dict[str, str]:
    identity = world.identities[role]
    use(client, identity)
    client.cookies.set("lang", lang)
    return identity.headers()


def _grids(session: Session, organization_id: int) -> set[int]:
    with reading(session) as fresh:
        rows = fresh.execute(
            sa.select(OrganizationGrid.grid_id).where(OrganizationGrid.organization_id == organization_id)
        )
        return set(rows.scalars())


def _edit_form(world: TwoStreets, grid_ids: set[int], **changes: str) -> dict[str, Any]:
    organization = world.a.organization
    values = {
        "csrf_token": world.identities["partner A"].csrf,
        "contact_name": organization.contact_name,
        "contact_phone": organization.contact_phone,
        "address": organization.address or "青岛市市北区",
        "description": organization.description or "",
        "grid_ids": [str(grid_id) for grid_id in sorted(grid_ids)],
    }
    return values | changes


def test_the_manager_cannot_make_the_organization_serve_another_street(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    organization_id = world.a.organization.id or 0
    grids_before = _grids(session, organization_id)
    with reading(session) as fresh:
        assert street_ids_served_by(fresh, organization_id) == {world.a.street.id}

    _as(client, world, "partner A")
    form = _edit_form(world, grids_before | {world.b.grids[0].id or 0}, contact_name="换了联系人")
    response = client.post("/organization", data=form, follow_redirects=False)
    assert response.status_code == 400, response.text[-2000:]
    assert 'id="grid_ids-error"' in response.text
    assert "请选择本单位所服务街道的网格" in response.text
    # The page shown again offers its own streets' grids only, not the street the post named.
    assert world.a.grids[0].name in response.text and world.b.grids[0].name not in response.text
    assert _grids(session, organization_id) == grids_before
    with reading(session) as fresh:
        assert street_ids_served_by(fresh, organization_id) == {world.a.street.id}
        assert fresh.get(Organization, organization_id).contact_name != "换了联系人"  # nothing of the edit saved

    _as(client, world, "partner A", "en")
    response = client.post("/organization", data=form, follow_redirects=False)
    assert response.status_code == 400
    assert "Choose grids of the streets your organization serves." in response.text

    # So an offer there stays refused, as before the attempt.
    headers = _as(client, world, "partner A")
    body = {"kind": "material", "category": "renovation", "title": "越界", "quantity": "5", "unit": "袋",
            "grid_ids": [world.b.grids[0].id]}  # fmt: skip
    with reading(session) as fresh:
        offers = fresh.execute(sa.select(sa.func.count()).select_from(Offer)).scalar_one()
    assert client.post("/api/v1/offers", json=body, headers=headers).status_code == 400
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(Offer)).scalar_one() == offers


def test_moving_within_its_streets_still_saves(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    organization_id = world.a.organization.id or 0
    _as(client, world, "partner A")
    moved = {world.a.grids[-1].id or 0}
    response = client.post("/organization", data=_edit_form(world, moved), follow_redirects=False)
    assert response.status_code == 303, response.text[-2000:]
    assert _grids(session, organization_id) == moved


def test_every_writer_of_an_organizations_grids_meets_the_rule(
    session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    organization_id = world.a.organization.id or 0
    with session_factory() as db:
        with pytest.raises(served_streets.GridsOfAnotherStreet) as refused:
            served_streets.set_service_grids(db, organization_id, [world.a.grids[0].id or 0, world.b.grids[0].id or 0])
        db.rollback()
    assert refused.value.status_code == 400
    assert refused.value.extra == {"key": "grid_ids", "streets": [world.b.street.code]}
    # The organization registered in A and serving a grid of B keeps moving within both.
    both = world.both_organization.id or 0
    with session_factory() as db:
        served_streets.set_service_grids(db, both, [world.a.grids[0].id or 0, world.b.grids[1].id or 0])
        db.commit()
    assert _grids(session, both) == {world.a.grids[0].id, world.b.grids[1].id}


def test_a_grid_typed_in_other_digits_is_a_400_naming_the_grids(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    # "¹" passed isdigit() and failed int(): the manager's edit answered 500 (organizations.forms.many).
    world = build_two_streets(session, session_factory, settings)
    organization_id = world.a.organization.id or 0
    grids_before = _grids(session, organization_id)
    _as(client, world, "partner A")
    form = _edit_form(world, grids_before) | {"grid_ids": [str(world.a.grids[0].id), "¹"]}
    response = client.post("/organization", data=form, follow_redirects=False)
    assert response.status_code == 400, response.text[-2000:]
    assert 'id="grid_ids-error"' in response.text
    assert _grids(session, organization_id) == grids_before
