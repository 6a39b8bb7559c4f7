"""A volunteer is never confirmed on two overlapping shifts, even when the requests race.

The sign-up (and the approval of a pending sign-up) first takes a row lock on the volunteer's profile,
then checks for an overlapping confirmed shift: the same volunteer's confirmations queue behind each
other, so the second one sees the first. Proved with real concurrent HTTP requests against uvicorn;
run on PostgreSQL too (MARKETPLACE_TEST_DATABASE_URL).
"""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, Shift
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import make_grid, reading

LOCKED = "database is locked"
RACERS = 10


def _overlapping_shifts(session: Session, need: Need, count: int, **fields: Any) -> list[Shift]:
    """``count`` shifts that all overlap each other: each starts a minute after the previous one, lasts 3 hours."""
    return [mf.shift(session, need, slots=5, starts_in_hours=24 + index / 60, **fields) for index in range(count)]


def _fire(live: LiveApp, calls: list[tuple[str, dict[str, str], Any]]) -> list[httpx.Response]:
    """POST every (path, headers, json) at the same moment, each from its own client; the responses in order."""
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[str, dict[str, str], Any]) -> httpx.Response:
        path, headers, body = call
        with live.client() as client:
            barrier.wait(timeout=30)
            return client.post(path, headers=headers, json=body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def _figures(name: str, responses: list[httpx.Response], live: LiveApp) -> Counter[int]:
    codes = Counter(response.status_code for response in responses)
    print(f"\n[{name}] status codes: {dict(sorted(codes.items()))}")
    assert not [r for r in responses if r.status_code >= 500], [r.text[:300] for r in responses if r.status_code >= 500]
    assert not [r for r in responses if LOCKED in r.text]
    assert LOCKED not in live.log(), live.log()[-2000:]
    assert "Traceback" not in live.log(), live.log()[-4000:]
    return codes


def _slot_holders(session: Session, volunteer_id: int) -> list[ShiftSignup]:
    with reading(session) as fresh:
        rows = fresh.execute(
            sa.select(ShiftSignup).where(
                ShiftSignup.volunteer_id == volunteer_id,
                ShiftSignup.status == SignupStatus.CONFIRMED,  # type: ignore[arg-type]
            )
        )
        return list(rows.scalars())


def _confirmed_counts(session: Session, shifts: list[Shift]) -> int:
    with reading(session) as fresh:
        return sum(fresh.get(Shift, shift.id).confirmed_count for shift in shifts)  # type: ignore[union-attr]


def test_ten_simultaneous_signups_for_overlapping_shifts_confirm_one(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    grid = make_grid(session)
    shifts = _overlapping_shifts(session, mf.project(session, grid), RACERS)
    person, profile = mf.volunteer(session, grid)
    responses = _fire(live_app, [(f"/api/v1/shifts/{shift.id}/signups", person.headers, None) for shift in shifts])
    codes = _figures("one volunteer, 10 overlapping shifts, 10 sign-ups", responses, live_app)
    assert codes == {201: 1, 409: RACERS - 1}, codes
    assert all("overlapping" in r.text for r in responses if r.status_code == 409)
    confirmed = _slot_holders(session, profile.id or 0)
    assert len(confirmed) == 1
    assert _confirmed_counts(session, shifts) == 1  # no slot was taken by a refused sign-up
    print(f"[overlapping sign-ups] confirmed sign-ups: {len(confirmed)}, slots taken: 1")


def test_ten_simultaneous_approvals_of_overlapping_pending_signups_confirm_one(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    grid = make_grid(session)
    shifts = _overlapping_shifts(session, mf.project(session, grid), RACERS, requires_approval=True)
    person, profile = mf.volunteer(session, grid)
    match_ids = []
    with live_app.client(token=person.token) as client:
        for shift in shifts:  # pending sign-ups hold no slot, so overlapping ones may wait side by side
            made = client.post(f"/api/v1/shifts/{shift.id}/signups")
            assert made.status_code == 201 and made.json()["status"] == "pending", made.text
            match_ids.append(made.json()["match_id"])
    admins = [mf.admin(session) for _ in range(RACERS)]
    responses = _fire(
        live_app,
        [
            (f"/api/v1/matches/{match_id}/decision", admin.headers, {"decision": "approve"})
            for match_id, admin in zip(match_ids, admins, strict=True)
        ],
    )
    codes = _figures("10 admins approve 10 overlapping pending sign-ups", responses, live_app)
    assert codes == {200: 1, 409: RACERS - 1}, codes
    assert all("overlapping" in r.text for r in responses if r.status_code == 409)
    assert len(_slot_holders(session, profile.id or 0)) == 1
    assert _confirmed_counts(session, shifts) == 1
    with reading(session) as fresh:
        statuses = Counter(
            fresh.execute(sa.select(Match.status).where(Match.id.in_(match_ids))).scalars()  # type: ignore[attr-defined]
        )
    # A refused approval changes nothing: the match stays proposed for an admin to reject with a reason.
    assert statuses == {MatchStatus.APPROVED: 1, MatchStatus.PROPOSED: RACERS - 1}, statuses
    print(f"[overlapping approvals] matches: {dict(statuses)}")


def test_signups_of_different_volunteers_do_not_wait_for_each_other(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    # The lock is per volunteer: ten volunteers on the same ten overlapping shifts are all confirmed.
    grid = make_grid(session)
    shifts = _overlapping_shifts(session, mf.project(session, grid), RACERS)
    people = [mf.volunteer(session, grid)[0] for _ in range(RACERS)]
    responses = _fire(
        live_app,
        [
            (f"/api/v1/shifts/{shift.id}/signups", person.headers, None)
            for shift, person in zip(shifts, people, strict=True)
        ],
    )
    codes = _figures("10 volunteers, 10 overlapping shifts", responses, live_app)
    assert codes == {201: RACERS}, codes


def test_a_confirmed_shift_ending_when_the_next_starts_is_no_overlap(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    morning = mf.shift(session, need, starts_in_hours=24)  # 3 hours long
    afternoon = mf.shift(session, need, starts_in_hours=27)
    person, _ = mf.volunteer(session, grid)
    for shift in (morning, afternoon):
        made = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers)
        assert made.status_code == 201 and made.json()["status"] == "confirmed", made.text


def test_a_cancelled_signup_frees_the_time_for_an_overlapping_shift(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    first, second = _overlapping_shifts(session, mf.project(session, grid), 2)
    person, _ = mf.volunteer(session, grid)
    made = client.post(f"/api/v1/shifts/{first.id}/signups", headers=person.headers)
    assert made.status_code == 201
    refused = client.post(f"/api/v1/shifts/{second.id}/signups", headers=person.headers)
    assert refused.status_code == 409 and "overlapping" in refused.text
    cancelled = client.post(f"/api/v1/signups/{made.json()['id']}/cancel", headers=person.headers, json={})
    assert cancelled.status_code in (200, 201), cancelled.text
    again = client.post(f"/api/v1/shifts/{second.id}/signups", headers=person.headers)
    assert again.status_code == 201 and again.json()["status"] == "confirmed"


def test_a_volunteer_cancelling_while_admins_approve_never_fails(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    # Approval and cancellation touch the same match and sign-up rows; both take the volunteer's lock
    # first, so they queue instead of deadlocking. Non-overlapping shifts: every approval may succeed.
    grid = make_grid(session)
    need = mf.project(session, grid)
    shifts = [mf.shift(session, need, starts_in_hours=24 + 4 * index, requires_approval=True) for index in range(5)]
    person, _profile = mf.volunteer(session, grid)
    made = []
    with live_app.client(token=person.token) as client:
        for shift in shifts:
            response = client.post(f"/api/v1/shifts/{shift.id}/signups")
            assert response.status_code == 201, response.text
            made.append(response.json())
    admins = [mf.admin(session) for _ in shifts]
    calls = []
    for signup, admin in zip(made, admins, strict=True):
        calls.append((f"/api/v1/matches/{signup['match_id']}/decision", admin.headers, {"decision": "approve"}))
        calls.append((f"/api/v1/signups/{signup['id']}/cancel", person.headers, {}))
    responses = _fire(live_app, calls)
    codes = _figures("5 approvals racing 5 cancellations", responses, live_app)
    assert set(codes) <= {200, 201, 409}, codes
    with reading(session) as fresh:
        for signup in made:
            row = fresh.get(ShiftSignup, signup["id"])
            shift = fresh.get(Shift, row.shift_id)
            # Whoever won, the slot count agrees with the sign-up's final state.
            assert shift.confirmed_count == (1 if row.status is SignupStatus.CONFIRMED else 0), (row.status, shift)
