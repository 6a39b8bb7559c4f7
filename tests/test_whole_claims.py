"""A whole-project claim: the partner provides everything the project still needs (docs/need_changes.md).

Claimed, approved, delivered: every line is provided and the need verifies and closes. While the claim
stands no line claims and no sign-ups are taken; withdrawing an approved one gives everything back.
"""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, NeedStatus, ResourceLine
from marketplace.needs.participation import line_progress
from tests import matches_factories as mf
from tests.security_helpers import audit_events, fetch, make_grid, reading, sign_in_as


def _whole(client: TestClient[Any], person: mf.Person, need: Need) -> int:
    made = client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=person.headers)
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _decide(client: TestClient[Any], boss: mf.Person, match_id: int) -> None:
    answer = client.post(f"/api/v1/matches/{match_id}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert answer.status_code == 200, answer.text


def test_a_whole_claim_delivered_provides_every_line_and_the_need_verifies(
    client: TestClient[Any], session: Session
) -> None:
    need = mf.project(session, title="修缮凉亭")
    lines = [mf.line(session, need, "1"), mf.line(session, need, "30")]
    partner, boss = mf.partner(session), mf.admin(session)
    match_id = _whole(client, partner, need)
    _decide(client, boss, match_id)
    assert fetch(session, Need, need.id).status is NeedStatus.MATCHED
    refused = client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 5}, headers=boss.headers)
    assert refused.status_code == 409 and refused.json()["extra"]["code"] == "not_verifiable_yet", refused.text
    assert refused.json()["extra"]["blockers"] == ["1 approved claim(s) not yet delivered"]  # no line "still needs"

    delivered = client.post(f"/api/v1/claims/{match_id}/delivered", headers=partner.headers)
    assert delivered.status_code == 200, delivered.text
    assert all(fetch(session, ResourceLine, line.id).still_needed == 0 for line in lines)
    assert fetch(session, Need, need.id).status is NeedStatus.COMPLETED
    event = audit_events(session, "match.deliver")[-1]
    assert event.after["lines_fulfilled"] == {str(lines[0].id): "1.00", str(lines[1].id): "30.00"}

    with reading(session) as fresh:
        progress = line_progress(fresh, [fresh.get(ResourceLine, line.id) for line in lines])
    assert all(item.by_whole_claim and item.covered and item.delivered == item.line.quantity for item in progress)

    done = client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 5}, headers=boss.headers)
    assert done.status_code == 200, done.text
    assert fetch(session, Need, need.id).status is NeedStatus.VERIFIED
    public = client.get(f"/projects/{need.id}").text
    assert "still needed" not in public and "尚缺" not in public


def test_while_a_whole_claim_stands_no_line_claims_or_sign_ups_are_taken(
    client: TestClient[Any], session: Session
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    line = mf.line(session, need, "10")
    shift = mf.shift(session, need, slots=3)
    whole, other = mf.partner(session), mf.partner(session)
    match_id = _whole(client, whole, need)
    offer = mf.offer_of(session, other.user, "10")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"}
    line_claim = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=other.headers)
    assert line_claim.status_code == 409 and "whole project" in line_claim.text
    second_whole = client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=other.headers)
    assert second_whole.status_code == 409
    volunteer, _profile = mf.volunteer(session, grid)
    signup = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=volunteer.headers)
    assert signup.status_code == 409 and "whole project" in signup.text

    # Rejected: the project is open to everyone again.
    boss = mf.admin(session)
    rejected = client.post(
        f"/api/v1/matches/{match_id}/decision", json={"decision": "reject", "reason": "资质不符"}, headers=boss.headers
    )
    assert rejected.status_code == 200
    assert client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=other.headers).status_code == 201
    assert client.post(f"/api/v1/shifts/{shift.id}/signups", headers=volunteer.headers).status_code == 201


def test_cancelling_an_approved_whole_claim_gives_everything_back(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "5")
    partner, boss, other = mf.partner(session), mf.admin(session), mf.partner(session)
    match_id = _whole(client, partner, need)
    _decide(client, boss, match_id)
    assert fetch(session, Need, need.id).status is NeedStatus.MATCHED
    cancelled = client.post(f"/api/v1/claims/{match_id}/cancel", json={"reason": "人手不足"}, headers=partner.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert fetch(session, Match, match_id).status is MatchStatus.CANCELLED
    assert fetch(session, Need, need.id).status is NeedStatus.PUBLISHED
    assert fetch(session, ResourceLine, line.id).still_needed == 5
    offer = mf.offer_of(session, other.user, "5")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "5"}
    assert client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=other.headers).status_code == 201
    assert (
        client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=partner.headers).status_code
        == 201
    )


def test_a_whole_claim_covers_what_other_approved_line_claims_leave(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    part, whole, boss = mf.partner(session), mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, part.user, "4")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"}
    part_id = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=part.headers).json()["id"]
    _decide(client, boss, part_id)
    whole_id = _whole(client, whole, need)
    _decide(client, boss, whole_id)
    client.post(f"/api/v1/claims/{whole_id}/delivered", headers=whole.headers)
    assert fetch(session, ResourceLine, line.id).still_needed == 0
    assert fetch(session, Need, need.id).status is NeedStatus.IN_PROGRESS  # the line claim is not delivered yet
    waiting = client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 4}, headers=boss.headers)
    assert waiting.status_code == 409 and "1 approved claim" in waiting.text
    client.post(f"/api/v1/claims/{part_id}/delivered", headers=part.headers)
    assert (
        client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 4}, headers=boss.headers).status_code
        == 200
    )


def test_the_pages_show_lines_as_provided_by_the_whole_claim(client: TestClient[Any], session: Session) -> None:
    from marketplace.accounts.models import Role

    need = mf.project(session, title="楼道粉刷")
    mf.line(session, need, "1")
    partner, boss = mf.partner(session), mf.admin(session)
    match_id = _whole(client, partner, need)
    _decide(client, boss, match_id)
    public = client.get(f"/projects/{need.id}", headers={"Accept-Language": "en"}).text
    assert "still needed" not in public and "whole project" in public
    client.post(f"/api/v1/claims/{match_id}/delivered", headers=partner.headers)
    public = client.get(f"/projects/{need.id}", headers={"Accept-Language": "en"}).text
    assert "still needed" not in public and "Provided by the partner who took on the whole project" in public
    with reading(session) as fresh:
        grid = fresh.get(Need, need.id).grid_id
    sign_in_as(client, session, Role.STAFF, grid_ids=[grid])
    client.get("/lang/en?next=/")
    staff_page = client.get(f"/needs/{need.id}").text
    assert "Provided by the whole-project claim" in staff_page and "Still needed" in staff_page
