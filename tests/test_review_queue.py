"""Admins decide each proposed match once: conflicts shown, reasons required, bulk approval reports each item."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.offers.models import Offer
from tests import matches_factories as mf
from tests.security_helpers import audit_events, fetch


def _line_claims(client: TestClient[Any], session: Session, n: int, left: str) -> tuple[list[int], Offer]:
    need = mf.project(session)
    line = mf.line(session, need, "100")
    person = mf.partner(session)
    offer = mf.offer_of(session, person.user, remaining=left)
    ids = []
    for _ in range(n):
        made = client.post(
            f"/api/v1/projects/{need.id}/claims",
            json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"},
            headers=person.headers,
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    return ids, offer


def test_reject_needs_a_reason_and_decides_once(client: TestClient[Any], session: Session) -> None:
    ids, _ = _line_claims(client, session, 1, "10")
    boss = mf.admin(session)
    url = f"/api/v1/matches/{ids[0]}/decision"
    missing = client.post(url, json={"decision": "reject"}, headers=boss.headers)
    assert missing.status_code == 400 and "reason" in missing.text
    assert client.post(url, json={"decision": "reject", "reason": "重复"}, headers=boss.headers).status_code == 200
    again = client.post(url, json={"decision": "approve"}, headers=boss.headers)
    assert again.status_code == 409
    assert fetch(session, Match, ids[0]).status is MatchStatus.REJECTED
    assert [e.action for e in audit_events(session, "match.reject")] == ["match.reject"]


def test_approving_twice_does_nothing_twice(client: TestClient[Any], session: Session) -> None:
    ids, offer = _line_claims(client, session, 1, "10")
    boss = mf.admin(session)
    url = f"/api/v1/matches/{ids[0]}/decision"
    assert client.post(url, json={"decision": "approve"}, headers=boss.headers).status_code == 200
    assert client.post(url, json={"decision": "approve"}, headers=boss.headers).status_code == 409
    assert fetch(session, Offer, offer.id).remaining_quantity == 8
    assert len(audit_events(session, "match.approve")) == 1


def test_queue_shows_not_enough_left_and_bulk_reports_partial_failures(
    client: TestClient[Any], session: Session
) -> None:
    ids, offer = _line_claims(client, session, 3, "4")
    boss = mf.admin(session)
    assert client.post(f"/api/v1/matches/{ids[0]}/decision", json={"decision": "approve"}, headers=boss.headers)
    queue = client.get("/api/v1/review", headers=boss.headers).json()
    assert queue["total"] == 2
    assert all(item["conflicts"] == [] for item in queue["items"])  # 2 left, 2 each
    result = client.post("/api/v1/matches/bulk-approve", json={"ids": [*ids[1:], 99999]}, headers=boss.headers)
    assert result.status_code == 200, result.text
    body = result.json()
    assert body["approved"] == [ids[1]]
    failed = {item["id"]: item["code"] for item in body["failed"]}
    assert failed[ids[2]] == "not_enough_left" and 99999 in failed
    assert fetch(session, Offer, offer.id).remaining_quantity == 0
    assert fetch(session, Match, ids[2]).status is MatchStatus.PROPOSED
    notes = client.get("/api/v1/review", headers=boss.headers).json()["items"][0]["conflicts"]
    assert [note["code"] for note in notes] == ["offer_short"]


def test_only_admins_see_the_queue(client: TestClient[Any], session: Session) -> None:
    assert client.get("/api/v1/review", headers=mf.partner(session).headers).status_code == 403
