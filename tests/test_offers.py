"""Offers (the resource list): publish, edit, withdraw, scope, validation, version conflicts; pages and API."""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.db.types import utcnow
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.organizations.models import OrganizationStatus
from marketplace.settings import Settings
from tests.security_helpers import audit_actions, csrf_for, csrf_from, fetch, make_grid, make_org, reading, sign_in_as


def offer_body(grid_ids: list[int], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "material",
        "category": "renovation",
        "title": "透水砖",
        "description": "用于老旧小区改造",
        "quantity": "3200",
        "unit": "平方米",
        "grid_ids": grid_ids,
    }
    return body | overrides


def api(client: TestClient[Any], settings: Settings, method: str, path: str, body: Any = None) -> Any:
    headers = {"X-CSRF-Token": csrf_for(client, settings)}
    return client.request(method, path, json=body, headers=headers)


def partner(client: TestClient[Any], session: Session, **fields: Any) -> Any:
    return sign_in_as(client, session, Role.PARTNER, **fields)


def test_partner_publishes_edits_and_withdraws_an_offer(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    partner(client, session)
    created = api(client, settings, "POST", "/api/v1/offers", offer_body([grid.id]))
    assert created.status_code == 201, created.text
    offer = created.json()
    assert offer["remaining_quantity"] == "3200.00" and offer["status"] == "active" and offer["version"] == 1
    assert [g["id"] for g in offer["grids"]] == [grid.id]

    edited = api(client, settings, "PATCH", f"/api/v1/offers/{offer['id']}", {"version": 1, "remaining_quantity": 0})
    assert edited.status_code == 200, edited.text
    assert edited.json()["status"] == "exhausted" and edited.json()["version"] == 2
    refilled = api(client, settings, "PATCH", f"/api/v1/offers/{offer['id']}", {"version": 2, "remaining_quantity": 10})
    assert refilled.json()["status"] == "active"

    stale = api(client, settings, "PATCH", f"/api/v1/offers/{offer['id']}", {"version": 1, "title": "旧的"})
    assert stale.status_code == 409

    withdrawn = api(client, settings, "POST", f"/api/v1/offers/{offer['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    again = api(client, settings, "POST", f"/api/v1/offers/{offer['id']}/withdraw")
    assert again.status_code == 409
    assert audit_actions(session)[-4:] == ["offer.create", "offer.update", "offer.update", "offer.withdraw"]


def test_validation_errors_name_the_field(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    partner(client, session)
    cases = [
        (offer_body([grid.id], quantity="0"), "quantity"),
        (offer_body([grid.id], remaining_quantity="5000"), "remaining_quantity"),
        (offer_body([]), "grid_ids"),
        (offer_body([grid.id], kind="gold"), "kind"),
        (offer_body([grid.id], valid_until=(utcnow() - timedelta(days=1)).isoformat()), "valid_until"),
        (offer_body([999_999]), "grid_ids"),
    ]
    for body, field in cases:
        response = api(client, settings, "POST", "/api/v1/offers", body)
        assert response.status_code == 400, (field, response.text)
        assert field in response.text, (field, response.text)
    created = api(client, settings, "POST", "/api/v1/offers", offer_body([grid.id], quantity="10")).json()
    too_much = api(
        client, settings, "PATCH", f"/api/v1/offers/{created['id']}", {"version": 1, "remaining_quantity": 11}
    )
    assert too_much.status_code == 400 and "remaining_quantity" in too_much.text
    with reading(session) as fresh:
        assert fresh.execute(sa.select(sa.func.count()).select_from(Offer)).scalar_one() == 1


def test_partner_of_another_organization_gets_404(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    partner(client, session)
    offer = api(client, settings, "POST", "/api/v1/offers", offer_body([grid.id])).json()
    client.cookies.clear()
    partner(client, session)
    for method, path, body in [
        ("GET", f"/api/v1/offers/{offer['id']}", None),
        ("PATCH", f"/api/v1/offers/{offer['id']}", {"version": 1, "title": "偷改"}),
        ("POST", f"/api/v1/offers/{offer['id']}/withdraw", None),
    ]:
        assert api(client, settings, method, path, body).status_code == 404, path
    for path in (f"/offers/{offer['id']}", f"/offers/{offer['id']}/edit"):
        assert client.get(path).status_code == 404, path
    listed = client.get("/api/v1/offers").json()
    assert listed["total"] == 0
    row = fetch(session, Offer, offer["id"])
    assert row.title == "透水砖" and row.status == OfferStatus.ACTIVE


def test_unapproved_organization_gets_403_with_reason(
    client: TestClient[Any], session: Session, settings: Settings
) -> None:
    grid = make_grid(session)
    org = make_org(session, OrganizationStatus.PENDING)
    partner(client, session, organization_id=org.id)
    response = api(client, settings, "POST", "/api/v1/offers", offer_body([grid.id]))
    assert response.status_code == 403
    assert "审核" in response.text or "approval" in response.text
    page = client.get("/offers/new")
    assert page.status_code == 403


def test_staff_see_the_whole_list_with_filters(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid_a, grid_b = make_grid(session), make_grid(session)
    partner(client, session)
    api(client, settings, "POST", "/api/v1/offers", offer_body([grid_a.id]))
    api(client, settings, "POST", "/api/v1/offers", offer_body([grid_b.id], kind="service", title="维修亭子"))
    client.cookies.clear()
    sign_in_as(client, session, Role.STAFF)
    everything = client.get("/api/v1/offers").json()
    assert everything["total"] == 2
    assert client.get("/api/v1/offers?kind=service").json()["total"] == 1
    assert client.get(f"/api/v1/offers?grid_id={grid_a.id}").json()["items"][0]["title"] == "透水砖"
    page = client.get(f"/offers?grid_id={grid_b.id}")
    assert page.status_code == 200 and "维修亭子" in page.text and "透水砖" not in page.text
    # Staff may read but not publish.
    assert api(client, settings, "POST", "/api/v1/offers", offer_body([grid_a.id])).status_code == 403


def test_list_request_sweeps_expired_offers(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    user = partner(client, session)
    offer = api(client, settings, "POST", "/api/v1/offers", offer_body([grid.id])).json()
    with session.begin():
        session.execute(
            sa.update(Offer)
            .where(Offer.id == offer["id"])
            .values(valid_from=utcnow() - timedelta(days=3), valid_until=utcnow() - timedelta(days=1))
        )
    assert client.get("/api/v1/offers").json()["items"][0]["status"] == "expired"
    assert fetch(session, Offer, offer["id"]).status == OfferStatus.EXPIRED
    assert user.organization_id is not None


def test_pages_create_edit_and_withdraw(client: TestClient[Any], session: Session, settings: Settings) -> None:
    grid = make_grid(session)
    partner(client, session)
    form = client.get("/offers/new")
    assert form.status_code == 200, form.text[-2000:]
    token = csrf_from(form.text)
    bad = client.post(
        "/offers/new",
        data={
            "csrf_token": token,
            "kind": "material",
            "category": "renovation",
            "title": "",
            "quantity": "5",
            "unit": "块",
            "grid_ids": [str(grid.id)],
        },
    )
    assert bad.status_code == 400 and 'id="title-error"' in bad.text
    good = client.post(
        "/offers/new",
        data={
            "csrf_token": token,
            "kind": "material",
            "category": "renovation",
            "title": "水泥",
            "quantity": "5",
            "unit": "袋",
            "grid_ids": [str(grid.id)],
            "valid_until": "",
        },
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text[-3000:]
    with reading(session) as fresh:
        offer = fresh.execute(sa.select(Offer)).scalar_one()
        assert fresh.execute(sa.select(OfferGrid.grid_id)).scalars().all() == [grid.id]
    detail = client.get(good.headers["location"])
    assert detail.status_code == 200 and "水泥" in detail.text
    edit = client.get(f"/offers/{offer.id}/edit")
    assert edit.status_code == 200
    saved = client.post(
        f"/offers/{offer.id}/edit",
        data={
            "csrf_token": token,
            "version": "1",
            "kind": "material",
            "category": "renovation",
            "title": "水泥 42.5",
            "quantity": "5",
            "remaining_quantity": "4",
            "unit": "袋",
            "grid_ids": [str(grid.id)],
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text[-3000:]
    stale = client.post(
        f"/offers/{offer.id}/edit",
        data={
            "csrf_token": token,
            "version": "1",
            "kind": "material",
            "category": "renovation",
            "title": "旧",
            "quantity": "5",
            "remaining_quantity": "4",
            "unit": "袋",
            "grid_ids": [str(grid.id)],
        },
    )
    assert stale.status_code == 409
    withdrawn = client.post(f"/offers/{offer.id}/withdraw", data={"csrf_token": token}, follow_redirects=False)
    assert withdrawn.status_code == 303
    row = fetch(session, Offer, offer.id)
    assert row.title == "水泥 42.5" and row.remaining_quantity == 4 and row.status == OfferStatus.WITHDRAWN
    listing = client.get("/offers?status=withdrawn")
    assert listing.status_code == 200 and "水泥 42.5" in listing.text
