"""An offer's quantities are written as the page writes numbers: "63,000 / 80,000 元", never "63000 / 80000 元".

Found walking the demo: the offers list and an offer's page printed the resource list's large quantities
(80,000 yuan of funds, 3,200 m² of bricks) without grouping, while every other figure on the site is grouped.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from tests.security_helpers import csrf_for, make_grid, sign_in_as


def test_the_offers_list_and_an_offer_page_group_large_quantities(
    client: TestClient[Any], session: Session, settings
) -> None:
    grid = make_grid(session)
    sign_in_as(client, session, Role.PARTNER)
    client.cookies.set("lang", "en")
    body = {
        "kind": "funds",
        "category": "livelihood",
        "title": "Winter relief fund",
        "quantity": "80000",
        "remaining_quantity": "63000.5",
        "unit": "元",
        "grid_ids": [grid.id],
    }
    created = client.post("/api/v1/offers", json=body, headers={"X-CSRF-Token": csrf_for(client, settings)})
    assert created.status_code == 201, created.text

    listing = client.get("/offers")
    assert listing.status_code == 200
    assert "63,000.5 / 80,000 yuan" in listing.text and "80000" not in listing.text

    page = client.get(f"/offers/{created.json()['id']}")
    assert "80,000 yuan" in page.text and "63,000.5 yuan" in page.text
