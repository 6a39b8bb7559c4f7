"""Volunteers sign up for shifts: confirmed at once or pending, never twice, no overlaps; cancel gives the slot back."""

from typing import Any

from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Shift
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.security_helpers import audit_actions, fetch, make_grid


def _sign_up(client: TestClient[Any], person: mf.Person, shift_id: int) -> Any:
    return client.post(f"/api/v1/shifts/{shift_id}/signups", headers=person.headers)


def test_signup_confirms_at_once_and_is_idempotent(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), slots=2)
    person, _ = mf.volunteer(session, grid)
    first = _sign_up(client, person, shift.id)
    assert first.status_code == 201 and first.json()["status"] == "confirmed"
    again = _sign_up(client, person, shift.id)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert fetch(session, Shift, shift.id).confirmed_count == 1
    assert "signup.create" in audit_actions(session)


def test_full_shift_is_409(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), slots=1)
    assert _sign_up(client, mf.volunteer(session, grid)[0], shift.id).status_code == 201
    refused = _sign_up(client, mf.volunteer(session, grid)[0], shift.id)
    assert refused.status_code == 409 and "full" in refused.text


def test_overlapping_confirmed_shift_is_refused_by_name(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    first = mf.shift(session, need, title="上午清扫", starts_in_hours=24)
    second = mf.shift(session, need, starts_in_hours=25)
    person, _ = mf.volunteer(session, grid)
    assert _sign_up(client, person, first.id).status_code == 201
    refused = _sign_up(client, person, second.id)
    assert refused.status_code == 409 and "上午清扫" in refused.text


def test_approval_shift_waits_in_the_queue(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), requires_approval=True)
    person, _ = mf.volunteer(session, grid)
    made = _sign_up(client, person, shift.id)
    assert made.status_code == 201 and made.json()["status"] == "pending"
    assert fetch(session, Shift, shift.id).confirmed_count == 0
    boss = mf.admin(session)
    queue = client.get("/api/v1/review", headers=boss.headers).json()
    assert [item["shift_id"] for item in queue["items"]] == [shift.id]
    decided = client.post(
        f"/api/v1/matches/{made.json()['match_id']}/decision", json={"decision": "approve"}, headers=boss.headers
    )
    assert decided.status_code == 200, decided.text
    assert fetch(session, ShiftSignup, made.json()["id"]).status is SignupStatus.CONFIRMED
    assert fetch(session, Shift, shift.id).confirmed_count == 1


def test_cancel_gives_the_slot_back_and_only_the_owner_may(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid), slots=1)
    person, _ = mf.volunteer(session, grid)
    other, _ = mf.volunteer(session, grid)
    made = _sign_up(client, person, shift.id).json()
    assert client.post(f"/api/v1/signups/{made['id']}/cancel", headers=other.headers).status_code == 404
    cancelled = client.post(f"/api/v1/signups/{made['id']}/cancel", json={"reason": "临时有事"}, headers=person.headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert fetch(session, Shift, shift.id).confirmed_count == 0
    match = fetch(session, Match, made["match_id"])
    assert match.status is MatchStatus.CANCELLED and match.decision_reason == "临时有事"
    assert _sign_up(client, other, shift.id).status_code == 201
    assert client.get("/api/v1/signups", headers=person.headers).json()["total"] == 1


def test_partners_cannot_sign_up(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    shift = mf.shift(session, mf.project(session, grid))
    assert _sign_up(client, mf.partner(session), shift.id).status_code == 403
