"""Partners claim a whole project or part of a resource line; cancelling gives back what was reserved."""

from decimal import Decimal
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, NeedStatus, ResourceLine
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import OrganizationStatus
from tests import matches_factories as mf
from tests.security_helpers import audit_actions, fetch, make_org


def _claim(client: TestClient[Any], person: mf.Person, need_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/projects/{need_id}/claims", json=body, headers=person.headers)


def test_whole_claim_is_proposed_and_a_second_live_claim_gets_409(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    first, second = mf.partner(session), mf.partner(session)
    response = _claim(client, first, need.id, kind="whole")
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "proposed"
    refused = _claim(client, second, need.id, kind="whole")
    assert refused.status_code == 409
    assert refused.json()["extra"]["code"] == "already_claimed"
    assert "match.claim" in audit_actions(session)


def test_cancelled_whole_claim_frees_the_project(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    first, second = mf.partner(session), mf.partner(session)
    match_id = _claim(client, first, need.id, kind="whole").json()["id"]
    cancelled = client.post(f"/api/v1/claims/{match_id}/cancel", json={"reason": "换人"}, headers=first.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert _claim(client, second, need.id, kind="whole").status_code == 201
    assert "match.cancel" in audit_actions(session)


def test_line_claim_validation_names_the_field(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    row = mf.line(session, need, "10")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, "3")
    other_offer = mf.offer_of(session, mf.partner(session).user, "50")
    cases = [
        ({"kind": "line", "resource_line_id": row.id, "offer_id": offer.id}, "quantity"),
        ({"kind": "line", "resource_line_id": row.id, "offer_id": offer.id, "quantity": "4"}, "quantity"),
        ({"kind": "line", "resource_line_id": row.id, "offer_id": offer.id, "quantity": "-1"}, "quantity"),
        ({"kind": "line", "resource_line_id": row.id, "offer_id": other_offer.id, "quantity": "1"}, "offer_id"),
        ({"kind": "line", "resource_line_id": 99999, "offer_id": offer.id, "quantity": "1"}, "resource_line_id"),
        ({"kind": "part"}, "kind"),
    ]
    for body, field in cases:
        response = _claim(client, person, need.id, **body)
        assert response.status_code == 400, (body, response.text)
        assert field in response.text, (body, response.text)
    big = mf.offer_of(session, person.user, "50")
    too_much = _claim(client, person, need.id, kind="line", resource_line_id=row.id, offer_id=big.id, quantity="11")
    assert too_much.status_code == 400 and too_much.json()["extra"][0]["code"] == "more_than_line_needs"


def test_unapproved_organization_cannot_claim(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    org = make_org(session, OrganizationStatus.PENDING)
    session.commit()
    person = mf.partner(session, organization_id=org.id)
    assert _claim(client, person, need.id, kind="whole").status_code == 403


def test_claims_of_unpublished_needs_are_404(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session, status=NeedStatus.UNDER_REVIEW)
    assert _claim(client, mf.partner(session), need.id, kind="whole").status_code == 404


def test_line_claim_reserves_at_approval_and_cancel_gives_back(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    row = mf.line(session, need, "10")
    person, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, person.user, "4")
    made = _claim(client, person, need.id, kind="line", resource_line_id=row.id, offer_id=offer.id, quantity="4")
    assert made.status_code == 201, made.text
    match_id = made.json()["id"]
    assert fetch(session, Offer, offer.id).remaining_quantity == Decimal(4)  # nothing reserved yet
    decided = client.post(f"/api/v1/matches/{match_id}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert decided.status_code == 200, decided.text
    after = fetch(session, Offer, offer.id)
    assert after.remaining_quantity == 0 and after.status is OfferStatus.EXHAUSTED
    assert fetch(session, ResourceLine, row.id).still_needed == Decimal(6)
    assert fetch(session, Need, need.id).status is NeedStatus.PARTIALLY_MATCHED
    cancelled = client.post(f"/api/v1/claims/{match_id}/cancel", headers=person.headers)
    assert cancelled.status_code == 200, cancelled.text
    back = fetch(session, Offer, offer.id)
    assert back.remaining_quantity == Decimal(4) and back.status is OfferStatus.ACTIVE
    assert fetch(session, ResourceLine, row.id).still_needed == Decimal(10)
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED
    assert fetch(session, Match, match_id).status is MatchStatus.CANCELLED


def test_partner_cannot_see_or_cancel_another_organizations_claim(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    owner, stranger = mf.partner(session), mf.partner(session)
    match_id = _claim(client, owner, need.id, kind="whole").json()["id"]
    assert client.post(f"/api/v1/claims/{match_id}/cancel", headers=stranger.headers).status_code == 404
    assert client.get("/api/v1/claims", headers=stranger.headers).json()["total"] == 0
    mine = client.get("/api/v1/claims", headers=owner.headers).json()
    assert [item["id"] for item in mine["items"]] == [match_id]
    assert fetch(session, Match, match_id).status is MatchStatus.PROPOSED


def test_volunteers_and_anonymous_cannot_claim(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    person, _ = mf.volunteer(session, mf.make_grid(session))
    assert _claim(client, person, need.id, kind="whole").status_code == 403
    assert client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}).status_code in (401, 403)
