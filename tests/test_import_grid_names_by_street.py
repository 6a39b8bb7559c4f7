"""Imports read a grid's name in the importer's own streets: two streets of a city may both have a grid of
that name. A name several grids bear (a city admin's file) is refused, asking for the grid's code."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.needs.models import Need
from marketplace.offers.models import Offer, OfferGrid
from marketplace.places.models import Grid
from marketplace.settings import Settings
from tests import factories
from tests.security_helpers import reading
from tests.security_world import use
from tests.street_fixtures import TwoStreets, build_two_streets

SAME = "同名网格"
NEED_HEADER = (
    "标题,说明,类别,网格,来源渠道,紧急程度,期限,联系人,联系电话,"
    "资源类型,资源数量,资源单位,开始时间,结束时间,志愿者人数\n"
)
OFFER_HEADER = "类型,类别,标题,说明,数量,单位,剩余数量,有效期起,有效期至,服务网格\n"


def _world(session: Session, session_factory: sessionmaker[Session], settings: Settings) -> TwoStreets:
    """The two streets, the first grid of A and (made later, so a plain lookup would find it last) a grid of B
    both named SAME."""
    world = build_two_streets(session, session_factory, settings)
    grid_a = session.get(Grid, world.a.grids[0].id)
    assert grid_a is not None
    grid_a.name = SAME
    session.add(grid_a)
    world.b.grids.append(factories.make_grid(session, world.b.communities[0], 8, name=SAME, name_en="Same Grid"))
    session.commit()
    return world


def _upload(client: TestClient[Any], world: TwoStreets, role: str, path: str, data: str) -> Any:
    identity = world.identities[role]
    use(client, identity)
    return client.post(path, files={"file": ("rows.csv", data.encode(), "text/csv")},
                       data={"csrf_token": identity.csrf}, headers=identity.headers())  # fmt: skip


def _needs_titled(session: Session, title: str) -> list[Need]:
    with reading(session) as fresh:
        return list(fresh.execute(sa.select(Need).where(Need.title == title)).scalars())


def test_staff_import_a_need_by_a_grid_name_two_streets_share(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(session, session_factory, settings)
    data = NEED_HEADER + f"同名网格的路灯,,renovation,{SAME},hotline_12345,,,,,,,,,,\n"
    response = _upload(client, world, "staff A", "/needs/import", data)
    assert response.status_code == 200, response.text[-2000:]
    [need] = _needs_titled(session, "同名网格的路灯")
    assert need.grid_id == world.a.grids[0].id


def test_a_partner_imports_an_offer_by_a_grid_name_of_its_own_street(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(session, session_factory, settings)
    data = OFFER_HEADER + f"material,renovation,同名网格的水泥,,5,袋,,,,{SAME}\n"
    response = _upload(client, world, "partner A", "/api/v1/offers/import", data)
    assert response.status_code == 200, response.text
    [offer_id] = response.json()["imported_ids"]
    with reading(session) as fresh:
        grids = list(fresh.execute(sa.select(OfferGrid.grid_id).where(OfferGrid.offer_id == offer_id)).scalars())
        assert fresh.get(Offer, offer_id) is not None
    assert grids == [world.a.grids[0].id]


def test_a_city_admins_file_naming_a_shared_grid_name_is_refused_asking_for_the_code(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = _world(session, session_factory, settings)
    data = NEED_HEADER + f"全市导入的路灯,,renovation,{SAME},hotline_12345,,,,,,,,,,\n"
    response = _upload(client, world, "city admin", "/needs/import", data)
    assert response.status_code == 400, response.text[-2000:]
    assert "网格编号" in response.text and world.b.grids[-1].code in response.text
    assert _needs_titled(session, "全市导入的路灯") == []

    by_code = NEED_HEADER + f"全市导入的路灯,,renovation,{world.b.grids[-1].code},hotline_12345,,,,,,,,,,\n"
    response = _upload(client, world, "city admin", "/needs/import", by_code)
    assert response.status_code == 200, response.text[-2000:]
    [need] = _needs_titled(session, "全市导入的路灯")
    assert need.grid_id == world.b.grids[-1].id
