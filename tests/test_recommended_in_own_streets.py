"""The tasks recommended to a volunteer are those of the streets they serve: where they live, and the streets
they chose to serve. In a city of 100 streets every open shift of the city was scored for each volunteer, one by
one, on every visit of their home page (26-38 s a request); a shift across the city is no suggestion anyway.
A partner's suggestions were already those of the streets its organization serves."""

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.needs.models import Need
from marketplace.places.models import Grid
from marketplace.settings import Settings
from marketplace.volunteers.models import VolunteerStreet
from tests import matches_factories as mf
from tests.security_helpers import sign_in_as
from tests.street_fixtures import build_two_streets
from tests.test_recommendations_api import _profile_for


def _open_shift(session: Session, grid: Grid, title: str) -> Need:
    need = mf.project(session, grid, title=title)
    mf.shift(session, need, slots=3, title=f"{title}值守")
    return need


def test_a_volunteer_is_recommended_the_shifts_of_the_streets_they_serve(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    near = _open_shift(session, world.a.grids[0], "本街道的楼道清扫")
    far = _open_shift(session, world.b.grids[0], "另一街道的楼道清扫")
    profile_id = _profile_for(session, sign_in_as(client, session, Role.VOLUNTEER), world.a.grids[0], [])
    client.cookies.set("lang", "en")

    page = client.get("/recommended").text
    home = client.get("/home").text
    for shown in (page, home):
        assert f'href="/projects/{near.id}/take-part"' in shown
        assert f'href="/projects/{far.id}/take-part"' not in shown

    # Chosen to serve street B too: its shifts are suggested beside the home street's.
    session.add(VolunteerStreet(volunteer_id=profile_id, street_id=world.b.street.id or 0))
    session.commit()
    page = client.get("/recommended").text
    assert f'href="/projects/{near.id}/take-part"' in page and f'href="/projects/{far.id}/take-part"' in page
