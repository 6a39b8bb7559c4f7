"""A refused offer form offers the organization's own streets' grids only: a grid of another street named in
the post is refused beside the service area, and that street's grids are not then put on offer (the refused
page used to add the streets of every grid the post named, inviting the same mistake)."""

from typing import Any

from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.settings import Settings
from tests.security_world import use
from tests.street_fixtures import build_two_streets
from tests.test_offer_area_street_rule import _body


def _offered(page: str, grid_id: int | None) -> bool:
    return f'name="grid_ids" value="{grid_id}"' in page


def test_the_refused_form_offers_only_the_streets_it_serves(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    identity = world.identities["partner A"]
    use(client, identity)
    client.cookies.set("lang", "zh")
    blank = client.get("/offers/new").text
    assert _offered(blank, world.a.grids[0].id) and not _offered(blank, world.b.grids[1].id)
    fields = {"csrf_token": identity.csrf, **_body([world.a.grids[0].id or 0, world.b.grids[0].id or 0])}
    response = client.post("/offers/new", data=fields, follow_redirects=False)
    assert response.status_code == 400 and 'id="grid_ids-error"' in response.text
    assert f'name="grid_ids" value="{world.a.grids[0].id}" checked' in response.text  # its own grid, still ticked
    for grid in world.b.grids:
        assert not _offered(response.text, grid.id), grid.code
