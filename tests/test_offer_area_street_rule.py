"""An offer's service area lies in the streets its organization serves: the form, the JSON API and the import
refuse a grid of another street (400 naming ``grid_ids``, both languages), and write nothing."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.offers.models import Offer, OfferGrid
from marketplace.settings import Settings
from tests.security_helpers import reading
from tests.security_world import use
from tests.street_fixtures import TwoStreets, build_two_streets

HEADER = "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"


def _offers(session: Session) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(sa.select(sa.func.count()).select_from(Offer)).scalar_one())


def _body(grid_ids: list[int], title: str = "街道规则测试") -> dict[str, Any]:
    return {"kind": "material", "category": "renovation", "title": title, "quantity": "10", "unit": "袋",
            "grid_ids": grid_ids}  # fmt: skip


def _as(client: TestClient[Any], world: TwoStreets, role: str, lang: str = "zh") -> dict[str, str]:
    identity = world.identities[role]
    use(client, identity)
    client.cookies.set("lang", lang)
    return identity.headers()


def test_the_api_refuses_a_grid_of_a_street_the_organization_does_not_serve(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    before = _offers(session)
    headers = _as(client, world, "partner A")
    response = client.post("/api/v1/offers", json=_body([world.a.grids[0].id or 0, world.b.grids[1].id or 0]),
                           headers=headers)  # fmt: skip
    assert response.status_code == 400, response.text
    assert "grid_ids" in response.text and "不在贵单位服务的街道" in response.text
    assert world.b.grids[1].code in response.text
    assert _offers(session) == before

    headers = _as(client, world, "partner A", "en")
    response = client.post("/api/v1/offers", json=_body([world.b.grids[0].id or 0]), headers=headers)
    assert response.status_code == 400 and "grid_ids" in response.text
    assert "a street your organization does not serve" in response.text
    assert _offers(session) == before

    # An edit may not move the area there either.
    offer = world.a.offer
    response = client.patch(f"/api/v1/offers/{offer.id}", json={"version": offer.version,
                            "grid_ids": [world.b.grids[0].id]}, headers=headers)  # fmt: skip
    assert response.status_code == 400 and "grid_ids" in response.text, response.text
    with reading(session) as fresh:
        grids = set(fresh.execute(sa.select(OfferGrid.grid_id).where(OfferGrid.offer_id == offer.id)).scalars())
    assert world.b.grids[0].id not in grids

    # Its own street's grids are fine.
    response = client.post("/api/v1/offers", json=_body([world.a.grids[1].id or 0]), headers=headers)
    assert response.status_code == 201, response.text


def test_an_organization_serving_a_grid_of_another_street_serves_that_street(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    headers = _as(client, world, "partner both")
    # It serves B's first grid; B's second grid lies in a street it serves, so it may be named.
    response = client.post("/api/v1/offers", json=_body([world.b.grids[1].id or 0, world.a.grids[0].id or 0]),
                           headers=headers)  # fmt: skip
    assert response.status_code == 201, response.text


def test_the_form_page_refuses_it_next_to_the_service_area(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    before = _offers(session)
    identity = world.identities["partner A"]
    _as(client, world, "partner A")
    fields = {"csrf_token": identity.csrf, **_body([world.b.grids[0].id or 0])}
    response = client.post("/offers/new", data=fields, follow_redirects=False)
    assert response.status_code == 400, response.text[-1000:]
    assert 'id="grid_ids-error"' in response.text and "不在贵单位服务的街道" in response.text
    assert _offers(session) == before


def test_the_import_refuses_the_row_and_imports_the_rest_when_asked(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    before = _offers(session)
    identity = world.identities["partner A"]
    _as(client, world, "partner A")
    data = (
        HEADER
        + f"material,renovation,本街道的水泥,,5,袋,,,,{world.a.grids[0].code}\n"
        + f"material,renovation,别的街道的水泥,,5,袋,,,,{world.b.grids[0].code}\n"
    ).encode()

    def upload(**form: str) -> Any:
        return client.post("/api/v1/offers/import", files={"file": ("offers.csv", data, "text/csv")},
                           data={"csrf_token": identity.csrf, **form}, headers=identity.headers())  # fmt: skip

    response = upload()
    assert response.status_code == 400, response.text
    report = response.json()
    assert report["invalid_rows"] == [3] and report["imported"] == 0
    [problem] = report["problems"]
    assert problem["column"] == "服务网格" and "不在贵单位服务的街道" in problem["reason"]
    assert _offers(session) == before

    response = upload(only_valid="1")
    assert response.status_code == 200, response.text
    assert response.json()["imported"] == 1 and response.json()["invalid_rows"] == [3]
    assert _offers(session) == before + 1
