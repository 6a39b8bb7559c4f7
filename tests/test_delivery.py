"""Delivery: partners mark claims delivered, volunteers check in and out (hours credited), staff verify."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.delivery import credited_hours
from marketplace.needs.models import Need, NeedStatus, Shift
from marketplace.volunteers.models import VolunteerProfile
from tests import matches_factories as mf
from tests.security_helpers import audit_actions, fetch, make_grid


def test_credited_hours_are_clipped_to_the_window_and_rounded_to_quarters() -> None:
    start = mf.soon(0)
    shift = Shift(need_id=1, title="t", starts_at=start, ends_at=start + timedelta(hours=3), slots=1)
    assert credited_hours(shift, start - timedelta(hours=1), start + timedelta(hours=1, minutes=8)) == Decimal("1.25")
    assert credited_hours(shift, start + timedelta(hours=2), start + timedelta(hours=5)) == Decimal("1.00")
    assert credited_hours(shift, start - timedelta(hours=2), start - timedelta(hours=1)) == 0


def test_check_in_and_out_credit_hours_once(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), starts_in_hours=-1)  # running now
    person, profile = mf.volunteer(session, grid)
    signup = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers).json()
    assert client.post(f"/api/v1/signups/{signup['id']}/check-out", headers=person.headers).status_code == 409
    assert client.post(f"/api/v1/signups/{signup['id']}/check-in", headers=person.headers).status_code == 200
    out = client.post(f"/api/v1/signups/{signup['id']}/check-out", headers=person.headers)
    assert out.status_code == 200 and out.json()["status"] == "completed"
    assert client.post(f"/api/v1/signups/{signup['id']}/check-out", headers=person.headers).status_code == 409
    assert fetch(session, VolunteerProfile, profile.id).fulfilled_count == 1
    assert {"signup.check_in", "signup.check_out"} <= set(audit_actions(session))


def test_deliver_then_verify_with_satisfaction(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "4")
    person, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, person.user, "4")
    claim = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"},
        headers=person.headers,
    ).json()
    verify = f"/api/v1/needs/{need.id}/verify"
    assert client.post(verify, json={"satisfaction": 5}, headers=boss.headers).status_code == 409  # nothing yet
    client.post(f"/api/v1/matches/{claim['id']}/decision", json={"decision": "approve"}, headers=boss.headers)
    assert fetch(session, Need, need.id).status is NeedStatus.MATCHED
    assert client.post(verify, json={"satisfaction": 5}, headers=boss.headers).status_code == 409  # not delivered
    stranger = mf.partner(session)
    assert client.post(f"/api/v1/claims/{claim['id']}/delivered", headers=stranger.headers).status_code == 404
    delivered = client.post(f"/api/v1/claims/{claim['id']}/delivered", headers=person.headers)
    assert delivered.status_code == 200 and delivered.json()["fulfilled_at"]
    assert fetch(session, Need, need.id).status is NeedStatus.COMPLETED
    bad = client.post(verify, json={"satisfaction": 6}, headers=boss.headers)
    assert bad.status_code == 400 and "satisfaction" in bad.text
    done = client.post(verify, json={"satisfaction": 4, "comment": "很满意"}, headers=boss.headers)
    assert done.status_code == 200, done.text
    after = fetch(session, Need, need.id)
    assert after.status is NeedStatus.VERIFIED and after.satisfaction == 4
    assert {"match.deliver", "need.verify"} <= set(audit_actions(session))


def test_the_api_refuses_check_in_days_early_odd_reasons_and_quantities(
    client: TestClient[Any], session: Session
) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    later = mf.shift(session, need, starts_in_hours=72)
    person, _profile = mf.volunteer(session, grid)
    signup = client.post(f"/api/v1/shifts/{later.id}/signups", headers=person.headers).json()
    early = client.post(f"/api/v1/signups/{signup['id']}/check-in", headers=person.headers)
    assert early.status_code == 409 and "one hour before" in early.text
    soon_shift = mf.shift(session, need, starts_in_hours=0.5)  # check-in is open, the shift has not started
    arriving = client.post(f"/api/v1/shifts/{soon_shift.id}/signups", headers=person.headers).json()
    assert client.post(f"/api/v1/signups/{arriving['id']}/check-in", headers=person.headers).status_code == 200
    out_early = client.post(f"/api/v1/signups/{arriving['id']}/check-out", headers=person.headers)
    assert out_early.status_code == 409 and "when the shift starts" in out_early.text
    nul = client.post(f"/api/v1/signups/{signup['id']}/cancel", json={"reason": "太忙\x00了"}, headers=person.headers)
    assert nul.status_code == 400 and "reason" in nul.text
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, "4")
    line = mf.line(session, need, "4")
    tiny = client.post(
        f"/api/v1/projects/{need.id}/claims",
        json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "0.001"},
        headers=partner.headers,
    )
    assert tiny.status_code == 400 and "quantity" in tiny.text
