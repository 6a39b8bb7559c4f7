"""Cancelling a need while others act on it, through a real server (uvicorn on 127.0.0.1, separate connections),
on SQLite and PostgreSQL: an approval, a second cancellation, new claims and sign-ups racing the cancellation.
Whatever the order, nothing slips through: the need ends cancelled holding nothing, every offer has exactly what
it had, and no request fails with a server error."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.needs.models import Need, NeedStatus, Shift
from marketplace.offers.models import Offer
from marketplace.places.models import Grid
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import audit_events, fetch, reading
from tests.test_need_cancel_walk import no_violations, staff_of

ROUNDS = 4


def _together(live: LiveApp, calls: list[tuple[str | None, str, dict[str, Any] | None]]) -> list[httpx.Response]:
    """POST each (token, path, body) at the same moment from its own connection."""
    barrier = threading.Barrier(len(calls))

    def post(call: tuple[str | None, str, dict[str, Any] | None]) -> httpx.Response:
        token, path, body = call
        with live.client(token=token) as client:
            barrier.wait(timeout=30)
            return client.post(path, json=body)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(post, calls))


def _clean(live: LiveApp) -> None:
    log = live.log()
    assert "Traceback" not in log and "database is locked" not in log, log[-3000:]


def _cancel_call(token: str, need: Need, version: int, reason: str = "居民已搬走") -> tuple[str, str, dict[str, Any]]:
    return (token, f"/api/v1/needs/{need.id}/cancel", {"reason": reason, "version": version})


def test_cancel_racing_the_approval_of_a_claim_never_leaves_the_offer_reserved(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    boss = mf.admin(session)
    seen: Counter[str] = Counter()
    for _ in range(ROUNDS):
        need = mf.project(session)
        line = mf.line(session, need, "10")
        partner = mf.partner(session)
        offer = mf.offer_of(session, partner.user, "5")
        with live_app.client(token=partner.token) as client:
            made = client.post(
                f"/api/v1/projects/{need.id}/claims",
                json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "5"},
            )
        assert made.status_code == 201, made.text
        match_id = made.json()["id"]
        staff = staff_of(session, need)
        version = int(fetch(session, Need, need.id).version)
        approval = (boss.token, f"/api/v1/matches/{match_id}/decision", {"decision": "approve"})
        cancelled, approved = _together(live_app, [_cancel_call(staff.token, need, version), approval])
        assert cancelled.status_code == 200, cancelled.text
        assert approved.status_code in (200, 409), approved.text
        seen[f"approve {approved.status_code}"] += 1
        row = fetch(session, Match, match_id)
        # Approved first: the cancellation then cancelled it and gave its 5 back; else the approval found it ended.
        expected = MatchStatus.CANCELLED if approved.status_code == 200 else MatchStatus.REJECTED
        assert row.status is expected
        saved = fetch(session, Offer, offer.id)
        assert saved.remaining_quantity == Decimal(5), saved
        assert fetch(session, Need, need.id).status is NeedStatus.CANCELLED
    print(f"\n[cancel vs approve, {ROUNDS} rounds] {dict(seen)}")
    no_violations(session)
    _clean(live_app)


def test_two_cancellations_at_once_cancel_once(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    need = mf.project(session)
    line = mf.line(session, need, "10")
    boss, partner = mf.admin(session), mf.partner(session)
    offer = mf.offer_of(session, partner.user, "4")
    with live_app.client(token=partner.token) as client:
        made = client.post(
            f"/api/v1/projects/{need.id}/claims",
            json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"},
        )
    with live_app.client(token=boss.token) as client:
        assert client.post(f"/api/v1/matches/{made.json()['id']}/decision", json={"decision": "approve"}).is_success
    first, second = staff_of(session, need), staff_of(session, need)
    version = int(fetch(session, Need, need.id).version)
    answers = _together(
        live_app, [_cancel_call(first.token, need, version, "甲"), _cancel_call(second.token, need, version, "乙")]
    )
    codes = Counter(answer.status_code for answer in answers)
    print(f"\n[two cancels] {dict(codes)}")
    assert codes == {200: 1, 409: 1}, [answer.text[:300] for answer in answers]
    loser = next(answer for answer in answers if answer.status_code == 409).json()
    assert loser["detail"].startswith(("status", "version")) and loser["current"]["status"] == "cancelled"
    assert len(audit_events(session, "need.cancel")) == 1
    assert fetch(session, Offer, offer.id).remaining_quantity == Decimal(4)  # given back once, not twice
    assert fetch(session, Need, need.id).version == version + 1
    no_violations(session)
    _clean(live_app)


def _racing_newcomers(
    live: LiveApp, session: Session, need: Need, calls: list[tuple[str | None, str, dict[str, Any] | None]]
) -> tuple[httpx.Response, list[httpx.Response]]:
    staff = staff_of(session, need)
    version = int(fetch(session, Need, need.id).version)
    answers = _together(live, [_cancel_call(staff.token, need, version), *calls])
    return answers[0], answers[1:]


def _nothing_live_on(session: Session, need_id: int) -> None:
    with reading(session) as fresh:
        live = fresh.execute(
            sa.select(Match.id, Match.status).where(
                Match.need_id == need_id,
                Match.status.in_([MatchStatus.PROPOSED, MatchStatus.APPROVED]),  # type: ignore[attr-defined]
            )
        ).all()
    assert live == []


def test_claims_and_sign_ups_racing_a_cancellation_never_land_on_the_cancelled_need(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "100")
    shift = mf.shift(session, need, slots=10, starts_in_hours=24)
    grid = fetch(session, Grid, need.grid_id)
    calls: list[tuple[str | None, str, dict[str, Any] | None]] = []
    for _ in range(4):
        partner = mf.partner(session)
        offer = mf.offer_of(session, partner.user, "10")
        body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "2"}
        calls.append((partner.token, f"/api/v1/projects/{need.id}/claims", body))
    for _ in range(4):
        volunteer, _profile = mf.volunteer(session, grid)
        calls.append((volunteer.token, f"/api/v1/shifts/{shift.id}/signups", None))
    cancelled, others = _racing_newcomers(live_app, session, need, calls)
    assert cancelled.status_code == 200, cancelled.text
    codes = Counter(answer.status_code for answer in others)
    print(f"\n[cancel vs 4 claims and 4 sign-ups] {dict(codes)}")
    assert set(codes) <= {200, 201, 404, 409}, [answer.text[:200] for answer in others]
    _nothing_live_on(session, need.id or 0)
    assert fetch(session, Need, need.id).status is NeedStatus.CANCELLED
    assert fetch(session, Shift, shift.id).confirmed_count == 0
    no_violations(session)
    _clean(live_app)
