"""Invariants under real concurrent HTTP requests against a uvicorn server on 127.0.0.1.

Each "user" sends with its own API token (Authorization: Bearer), from a ThreadPoolExecutor, all
released at once by a barrier. Every test prints its figures (status code → count) and asserts:
the invariant, 0 responses 5xx, and 0 "database is locked" in response bodies and the server log.
Run on PostgreSQL too: MARKETPLACE_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test_matches
"""

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Shift
from marketplace.offers.models import Offer
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import make_grid, reading

LOCKED = "database is locked"


def _fire(live: LiveApp, calls: list[tuple[str, str, dict[str, str], object]]) -> list[httpx.Response]:
    """Send every (method, path, headers, json) at the same moment; the responses, in order."""
    barrier = threading.Barrier(len(calls))

    def one(call: tuple[str, str, dict[str, str], object]) -> httpx.Response:
        method, path, headers, body = call
        with live.client() as client:
            barrier.wait(timeout=30)
            return client.request(method, path, headers=headers, json=body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(one, calls))


def _figures(name: str, responses: list[httpx.Response], live: LiveApp) -> Counter[int]:
    codes = Counter(r.status_code for r in responses)
    print(f"\n[{name}] status codes: {dict(sorted(codes.items()))}")
    assert not [r for r in responses if r.status_code >= 500], [r.text[:300] for r in responses if r.status_code >= 500]
    assert not [r for r in responses if LOCKED in r.text]
    assert LOCKED not in live.log(), live.log()[-2000:]
    assert "Traceback" not in live.log(), live.log()[-4000:]
    return codes


def _count(session: Session, query: Callable[[], sa.Select[tuple[int]]]) -> int:
    with reading(session) as fresh:
        return int(fresh.execute(query()).scalar_one())


def test_fifty_partners_claim_one_project_at_once(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    need = mf.project(session)
    partners = [mf.partner(session) for _ in range(50)]
    responses = _fire(
        live_app,
        [("POST", f"/api/v1/projects/{need.id}/claims", p.headers, {"kind": "whole"}) for p in partners],
    )
    codes = _figures("50 partners claim one project", responses, live_app)
    assert codes == {201: 1, 409: 49}, codes
    assert all(r.json()["extra"]["code"] == "already_claimed" for r in responses if r.status_code == 409)
    live = _count(
        session,
        lambda: sa.select(sa.func.count()).where(
            Match.need_id == need.id, Match.kind == MatchKind.WHOLE_NEED, Match.status == MatchStatus.PROPOSED
        ),
    )
    assert live == 1


def test_fifty_volunteers_on_a_ten_slot_shift(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need, slots=10)
    volunteers = [mf.volunteer(session, grid)[0] for _ in range(50)]
    responses = _fire(live_app, [("POST", f"/api/v1/shifts/{shift.id}/signups", v.headers, None) for v in volunteers])
    codes = _figures("50 volunteers, 10 slots", responses, live_app)
    assert codes == {201: 10, 409: 40}, codes
    assert all("full" in r.text for r in responses if r.status_code == 409)
    with reading(session) as fresh:
        assert fresh.get(Shift, shift.id).confirmed_count == 10
    confirmed = _count(
        session,
        lambda: sa.select(sa.func.count()).where(
            ShiftSignup.shift_id == shift.id, ShiftSignup.status == SignupStatus.CONFIRMED
        ),
    )
    assert confirmed == 10
    print(f"[50 volunteers, 10 slots] confirmed sign-ups: {confirmed}, confirmed_count: 10")


def test_twenty_approvals_of_one_against_five_left(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    need = mf.project(session)
    line = mf.line(session, need, "100")
    partner = mf.partner(session)
    offer = mf.offer_of(session, partner.user, remaining="5", quantity="5")
    with live_app.client(token=partner.token) as client:
        ids = []
        for _ in range(20):
            made = client.post(
                f"/api/v1/projects/{need.id}/claims",
                json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "1"},
            )
            assert made.status_code == 201, made.text
            ids.append(made.json()["id"])
    admins = [mf.admin(session) for _ in range(20)]
    responses = _fire(
        live_app,
        [
            ("POST", f"/api/v1/matches/{match_id}/decision", admin.headers, {"decision": "approve"})
            for match_id, admin in zip(ids, admins, strict=True)
        ],
    )
    codes = _figures("20 approvals of 1, 5 left", responses, live_app)
    assert codes == {200: 5, 409: 15}, codes
    assert all(r.json()["extra"]["code"] == "not_enough_left" for r in responses if r.status_code == 409)
    with reading(session) as fresh:
        left = fresh.get(Offer, offer.id).remaining_quantity
        statuses = Counter(
            fresh.execute(sa.select(Match.status).where(Match.id.in_(ids))).scalars()  # type: ignore[attr-defined]
        )
    assert left == Decimal(0)
    assert statuses == {MatchStatus.APPROVED: 5, MatchStatus.PROPOSED: 15}, statuses
    print(f"[20 approvals of 1, 5 left] remaining: {left}, matches: {dict(statuses)}")


def test_same_signup_ten_times_at_once(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need, slots=5)
    person, profile = mf.volunteer(session, grid)
    responses = _fire(live_app, [("POST", f"/api/v1/shifts/{shift.id}/signups", person.headers, None)] * 10)
    codes = _figures("same sign-up ×10", responses, live_app)
    assert codes[201] == 1 and codes[201] + codes[200] == 10, codes
    assert len({r.json()["id"] for r in responses}) == 1
    rows = _count(
        session,
        lambda: sa.select(sa.func.count()).where(
            ShiftSignup.shift_id == shift.id, ShiftSignup.volunteer_id == profile.id
        ),
    )
    assert rows == 1
    with reading(session) as fresh:
        assert fresh.get(Shift, shift.id).confirmed_count == 1
    print(f"[same sign-up ×10] rows: {rows}")
