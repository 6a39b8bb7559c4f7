"""An organization gives up a street only when nothing of it is left there: its manager's change of the grids it
serves is refused (409, on the page next to the grids, in both languages) while one of its live offers still
serves grids of that street or one of its claims waits for review there, naming them; nothing of the edit is
saved. Once the partner has moved the offer's area and cancelled the claim, the change goes through, and from
then on no claim, approval, round or edit pairs the organization with that street again.

The world is tests/street_fixtures.py: "partner both" manages an organization registered in street A that also
serves a grid of street B, with an offer and a line claim waiting in each street.
"""

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.audit.models import AuditEvent
from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Need
from marketplace.offers.models import Offer, OfferGrid, OfferStatus
from marketplace.organizations.models import Organization, OrganizationGrid
from marketplace.organizations.scope import street_ids_served_by
from marketplace.recommend import services as recommend_service
from marketplace.rounds import proposals
from marketplace.settings import Settings
from matching.round import Proposal, RoundPlan, RoundStats
from tests import factories
from tests.security_helpers import reading
from tests.security_world import use
from tests.street_fixtures import TwoStreets, build_two_streets


def _as(client: TestClient[Any], world: TwoStreets, role: str, lang: str = "zh") -> dict[str, str]:
    identity = world.identities[role]
    use(client, identity)
    client.cookies.set("lang", lang)
    return identity.headers()


def _edit_form(world: TwoStreets, grid_ids: list[int], **changes: str) -> dict[str, Any]:
    organization = world.both_organization
    values = {
        "csrf_token": world.identities["partner both"].csrf,
        "contact_name": organization.contact_name,
        "contact_phone": organization.contact_phone,
        "address": organization.address or "青岛市市北区",
        "description": organization.description or "",
        "grid_ids": [str(grid_id) for grid_id in grid_ids],
    }
    return values | changes


def _grids(session: Session, organization_id: int) -> set[int]:
    with reading(session) as fresh:
        rows = fresh.execute(
            sa.select(OrganizationGrid.grid_id).where(OrganizationGrid.organization_id == organization_id)
        )
        return set(rows.scalars())


def _served(session: Session, organization_id: int) -> frozenset[int]:
    with reading(session) as fresh:
        return street_ids_served_by(fresh, organization_id)


def _serve_grid_of_b_with_the_offer(client: TestClient[Any], world: TwoStreets, headers: dict[str, str]) -> None:
    """The straddling offer serves a grid of each street (through the API, as a partner sets it)."""
    offer = world.both_offer
    response = client.patch(f"/api/v1/offers/{offer.id}", json={"version": offer.version,
                            "grid_ids": [world.a.grids[0].id, world.b.grids[0].id]}, headers=headers)  # fmt: skip
    assert response.status_code == 200, response.text


def test_giving_up_a_street_is_refused_while_offers_serve_it_and_claims_wait_there(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    organization_id = world.both_organization.id or 0
    headers = _as(client, world, "partner both")
    _serve_grid_of_b_with_the_offer(client, world, headers)
    grids_before = _grids(session, organization_id)

    # Only street A's grid: it would give up street B, where its offer serves and its claim waits.
    form = _edit_form(world, [world.a.grids[0].id or 0], contact_name="换了联系人")
    response = client.post("/organization", data=form, follow_redirects=False)
    assert response.status_code == 409, response.text[-2000:]
    page = response.text
    assert 'id="grid_ids-error"' in page
    assert "BRAVOMARK街道" in page and "两街共建捐赠" in page and f"#{world.both_offer.id}" in page
    assert "BRAVOMARK项目" in page and f"#{world.both_claim_ids['B']}" in page
    assert "请先修改其服务区域或撤回" in page and "请先取消或婉拒" in page
    # Nothing of the edit is saved: neither the grids nor the contact.
    assert _grids(session, organization_id) == grids_before
    with reading(session) as fresh:
        assert fresh.get(Organization, organization_id).contact_name != "换了联系人"

    # The same in English.
    _as(client, world, "partner both", "en")
    response = client.post("/organization", data=form, follow_redirects=False)
    assert response.status_code == 409
    assert "would no longer serve BRAVOMARK Street" in response.text
    assert "Change their service area or withdraw them first" in response.text
    assert "Cancel or decline them first" in response.text


def test_moving_grids_within_a_street_it_keeps_is_never_refused(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    organization_id = world.both_organization.id or 0
    headers = _as(client, world, "partner both")
    _serve_grid_of_b_with_the_offer(client, world, headers)
    moved = [world.a.grids[0].id or 0, world.b.grids[1].id or 0]
    response = client.post("/organization", data=_edit_form(world, moved), follow_redirects=False)
    assert response.status_code == 303, response.text[-2000:]
    assert _grids(session, organization_id) == set(moved)
    assert _served(session, organization_id) == {world.a.street.id, world.b.street.id}


def test_once_the_offer_moved_and_the_claim_ended_the_street_is_given_up_and_stays_given_up(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    world = build_two_streets(session, session_factory, settings)
    organization_id = world.both_organization.id or 0
    headers = _as(client, world, "partner both")
    _serve_grid_of_b_with_the_offer(client, world, headers)

    # The partner resolves what the refusal named, through the API.
    with reading(session) as fresh:
        version = fresh.get(Offer, world.both_offer.id).version
    response = client.patch(f"/api/v1/offers/{world.both_offer.id}", json={"version": version,
                            "grid_ids": [world.a.grids[0].id]}, headers=headers)  # fmt: skip
    assert response.status_code == 200, response.text
    response = client.post(f"/api/v1/claims/{world.both_claim_ids['B']}/cancel", json={}, headers=headers)
    assert response.status_code in (200, 201), response.text

    response = client.post("/organization", data=_edit_form(world, [world.a.grids[0].id or 0]), follow_redirects=False)
    assert response.status_code == 303, response.text[-2000:]
    assert _served(session, organization_id) == {world.a.street.id}
    with reading(session) as fresh:
        audit = (
            fresh.execute(
                sa.select(AuditEvent).where(
                    AuditEvent.action == "organization.update", AuditEvent.object_id == organization_id
                )
            )
            .scalars()
            .all()
        )
    assert audit and audit[-1].after["grid_ids"] == [world.a.grids[0].id]

    # A new claim in street B: 403 naming the street.
    response = client.post(f"/api/v1/projects/{world.b.project.id}/claims", json={"kind": "line",
                           "resource_line_id": world.b.line.id, "offer_id": world.both_offer.id, "quantity": "2"},
                           headers=headers)  # fmt: skip
    assert response.status_code == 403, response.text
    assert "BRAVOMARK" in response.text

    # Its offer's area may no longer name a grid of B.
    with reading(session) as fresh:
        version = fresh.get(Offer, world.both_offer.id).version
    response = client.patch(f"/api/v1/offers/{world.both_offer.id}", json={"version": version,
                            "grid_ids": [world.b.grids[0].id]}, headers=headers)  # fmt: skip
    assert response.status_code == 400 and "grid_ids" in response.text

    # A round's plan pairing the offer with B's line (a whole-deployment round, or one planned before the
    # change) writes no proposal; the same offer with a line of A's (one it has no claim on yet) does.
    with session_factory() as db:
        line_a = factories.add_resource_line(db, db.get(Need, world.a.project.id), "50", description="ALFAMARK水泥")
        db.commit()
    plan = RoundPlan(
        lines=[
            Proposal("line", world.b.project.id or 0, world.b.line.id or 0, world.both_offer.id or 0, 0.9, 1, (), 2.0),
            Proposal("line", world.a.project.id or 0, line_a.id or 0, world.both_offer.id or 0, 0.9, 1, (), 2.0),
        ],
        shifts=[],
        stats=RoundStats(),
    )
    with session_factory() as db:
        written = proposals.write(db, plan, proposals.Author(None, "cli"), None, None)
        db.commit()
    assert (written.lines, written.skipped) == (1, 1)
    with reading(session) as fresh:
        proposed = fresh.execute(
            sa.select(Match.need_id).where(Match.round_id.is_(None), Match.source != "partner_claim",
                                           Match.offer_id == world.both_offer.id, Match.kind == MatchKind.OFFER_LINE)
        ).scalars().all()  # fmt: skip
    assert world.b.project.id not in proposed


def test_an_approval_is_refused_when_the_organization_no_longer_serves_the_street(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """Data from before the rule (the grid removed behind its back): the waiting claim is never approved."""
    world = build_two_streets(session, session_factory, settings)
    organization_id = world.both_organization.id or 0
    with session_factory() as db:
        db.execute(sa.delete(OrganizationGrid).where(OrganizationGrid.organization_id == organization_id))
        db.commit()
    headers = _as(client, world, "admin B")
    claim_id = world.both_claim_ids["B"]
    response = client.post(f"/api/v1/matches/{claim_id}/decision", json={"decision": "approve"}, headers=headers)
    assert response.status_code == 409, response.text
    assert response.json()["extra"]["code"] == "street_not_served"
    with reading(session) as fresh:
        assert fresh.get(Match, claim_id).status == MatchStatus.PROPOSED
        line = fresh.get(type(world.b.line), world.b.line.id)
        assert line.still_needed == world.b.line.still_needed  # nothing reserved


def test_an_expired_offer_reopened_must_name_an_area_in_the_streets_served(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """An expired offer does not keep a street: it may be given up. Reopening the offer later (a new end date)
    is an edit of a live offer, and its area must then lie in the streets served."""
    world = build_two_streets(session, session_factory, settings)
    headers = _as(client, world, "partner both")
    _serve_grid_of_b_with_the_offer(client, world, headers)
    response = client.post(f"/api/v1/claims/{world.both_claim_ids['B']}/cancel", json={}, headers=headers)
    assert response.status_code in (200, 201), response.text
    with session_factory() as db:
        offer = db.get(Offer, world.both_offer.id)
        offer.status, offer.valid_until = OfferStatus.EXPIRED, utcnow() - timedelta(days=1)
        db.add(offer)
        db.commit()
        version = offer.version
    response = client.post("/organization", data=_edit_form(world, [world.a.grids[0].id or 0]), follow_redirects=False)
    assert response.status_code == 303, response.text[-2000:]

    until = (utcnow() + timedelta(days=30)).isoformat()
    response = client.patch(f"/api/v1/offers/{world.both_offer.id}", json={"version": version, "valid_until": until},
                            headers=headers)  # fmt: skip
    assert response.status_code == 400 and "grid_ids" in response.text, response.text
    response = client.patch(f"/api/v1/offers/{world.both_offer.id}", json={"version": version, "valid_until": until,
                            "grid_ids": [world.a.grids[0].id]}, headers=headers)  # fmt: skip
    assert response.status_code == 200, response.text
    with reading(session) as fresh:
        assert fresh.get(Offer, world.both_offer.id).status == OfferStatus.ACTIVE
        area = set(
            fresh.execute(sa.select(OfferGrid.grid_id).where(OfferGrid.offer_id == world.both_offer.id)).scalars()
        )
    assert area == {world.a.grids[0].id}


def test_the_street_given_up_no_longer_recommends_its_offers(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """Its grid of B moved to a grid of A (as many grid rows as before): B's index of offers is rebuilt without it."""
    world = build_two_streets(session, session_factory, settings)
    headers = _as(client, world, "partner both")
    response = client.post(f"/api/v1/claims/{world.both_claim_ids['B']}/cancel", json={}, headers=headers)
    assert response.status_code in (200, 201), response.text
    street_b = world.b.street.id or 0
    recommend_service.forget()
    try:
        with session_factory() as db:
            assert world.both_offer.id in {
                offer.id for offer in recommend_service.index_for(db, "offers", street_b).offers
            }
        response = client.post(
            "/organization", data=_edit_form(world, [world.a.grids[1].id or 0]), follow_redirects=False
        )
        assert response.status_code == 303, response.text[-2000:]
        with session_factory() as db:
            offers = {offer.id for offer in recommend_service.index_for(db, "offers", street_b).offers}
        assert world.both_offer.id not in offers and world.b.offer.id in offers
    finally:
        recommend_service.forget()
