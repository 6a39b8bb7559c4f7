"""A partner's home writes its offers' quantities as the pages write numbers: "3,200 of 3,200 m² remain".

Found walking the demo: the partner's home said "3200 of 3200 m² remain" (and "共 3200 m²，剩余 3200")
while the offer's own page groups the same figure.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.security_helpers import csrf_for, make_grid, sign_in_as


def publish(client: TestClient[Any], settings: Any, grid_id: int) -> None:
    body = {
        "kind": "material",
        "category": "renovation",
        "title": "透水砖",
        "quantity": "3200",
        "unit": "m²",
        "grid_ids": [grid_id],
    }
    created = client.post("/api/v1/offers", json=body, headers={"X-CSRF-Token": csrf_for(client, settings)})
    assert created.status_code == 201, created.text


def test_the_partner_home_groups_the_quantities_of_its_offers(
    client: TestClient[Any], session: Session, settings: Any
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    publish(client, settings, grid.id)

    client.cookies.set("lang", "en")
    english = client.get("/home")
    assert english.status_code == 200
    assert "3,200 of 3,200 m² remain" in english.text and "3200" not in english.text

    client.cookies.set("lang", "zh_CN")
    chinese = client.get("/home")
    assert "3,200" in chinese.text and "3200" not in chinese.text
