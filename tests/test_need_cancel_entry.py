"""A cancellation racing newcomers while earlier claims and sign-ups already hold part of the need, through a
real server on SQLite and PostgreSQL.

The cancellation must give back the slots and quantities those earlier ones hold (the shift's and the line's
rows) while new sign-ups, claims and staff proposals arrive wanting the same rows. CI once saw PostgreSQL pick
the cancellation as a deadlock's victim here (409 "busy"): a sign-up held the shift's row waiting for the need,
the cancellation held the need waiting for the shift. Adders now enter a need before any row lock and the
cancellation closes that entry first (matches.services.enter_open_need), so the cancellation always goes
through and nothing made meanwhile outlives it. A round writing its proposals holds its street's entry: a
cancellation arriving then waits for the round's commit and withdraws what it proposed.
"""

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlmodel import Session

from marketplace.needs.models import Need, NeedStatus, Shift
from marketplace.places.models import Grid
from marketplace.rounds import proposals
from matching.round import Proposal, RoundPlan, RoundStats
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import fetch
from tests.test_need_cancel_races import _cancel_call, _clean, _nothing_live_on, _together
from tests.test_need_cancel_walk import no_violations, staff_of
from tests.test_rounds import _street

ROUNDS = 3
Call = tuple[str | None, str, dict[str, Any] | None]


def _held_need(live: LiveApp, session: Session) -> tuple[Need, Shift, list[Call]]:
    """A published need two volunteers and one approved claim already hold part of, and ten newcomers."""
    need = mf.project(session)
    line = mf.line(session, need, "100")
    shift = mf.shift(session, need, slots=20, starts_in_hours=24)
    grid = fetch(session, Grid, need.grid_id)
    boss = mf.admin(session)
    for _ in range(2):
        volunteer, _profile = mf.volunteer(session, grid)
        with live.client(token=volunteer.token) as client:
            assert client.post(f"/api/v1/shifts/{shift.id}/signups").status_code == 201
    holder = mf.partner(session)
    offer = mf.offer_of(session, holder.user, "10")
    with live.client(token=holder.token) as client:
        made = client.post(
            f"/api/v1/projects/{need.id}/claims",
            json={"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "5"},
        )
    assert made.status_code == 201, made.text
    with live.client(token=boss.token) as client:
        assert client.post(f"/api/v1/matches/{made.json()['id']}/decision", json={"decision": "approve"}).is_success
    calls: list[Call] = []
    for _ in range(5):
        volunteer, _profile = mf.volunteer(session, grid)
        calls.append((volunteer.token, f"/api/v1/shifts/{shift.id}/signups", None))
    for _ in range(3):
        partner = mf.partner(session)
        their_offer = mf.offer_of(session, partner.user, "10")
        body = {"kind": "line", "resource_line_id": line.id, "offer_id": their_offer.id, "quantity": "2"}
        calls.append((partner.token, f"/api/v1/projects/{need.id}/claims", body))
    for _ in range(2):
        _person, profile = mf.volunteer(session, grid)
        body = {"kind": "volunteers", "part_id": shift.id, "candidate_id": profile.id}
        calls.append((boss.token, f"/api/v1/needs/{need.id}/proposals", body))
    return need, shift, calls


def test_a_cancellation_goes_through_while_newcomers_want_the_rows_it_gives_back(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    seen: Counter[int] = Counter()
    for _ in range(ROUNDS):
        need, shift, calls = _held_need(live_app, session)
        version = int(fetch(session, Need, need.id).version)
        answers = _together(live_app, [_cancel_call(staff_of(session, need).token, need, version), *calls])
        cancelled, others = answers[0], answers[1:]
        assert cancelled.status_code == 200, cancelled.text
        seen.update(answer.status_code for answer in others)
        assert all(answer.status_code in (201, 404, 409) for answer in others), [a.text[:200] for a in others]
        _nothing_live_on(session, need.id or 0)
        assert fetch(session, Need, need.id).status is NeedStatus.CANCELLED
        assert fetch(session, Shift, shift.id).confirmed_count == 0  # every slot given back, none taken since
    print(f"\n[cancel vs 10 newcomers on a held need, {ROUNDS} rounds] {dict(seen)}")
    no_violations(session)
    _clean(live_app)


def test_a_cancellation_waits_for_a_round_writing_and_then_ends_its_proposals(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    world = _street(session)
    need, line, shift = world["need"], world["line"], world["shift"]
    plan = RoundPlan(
        lines=[Proposal("line", need.id, line.id, world["offers"][0].id, 0.9, 1, (), quantity=100.0)],
        shifts=[Proposal("shift", need.id, shift.id, world["people"][0], 0.9, 1, ())],
        stats=RoundStats(),
    )
    staff = staff_of(session, need)
    version = int(fetch(session, Need, need.id).version)
    with Session(session.get_bind()) as db, ThreadPoolExecutor(max_workers=1) as pool:
        written = proposals.write(db, plan, proposals.Author(None, "cli"))
        assert (written.lines, written.shifts) == (1, 1)
        # The round has written and not committed yet: the cancellation arrives now and must wait for it.
        token, path, body = _cancel_call(staff.token, need, version)

        def cancel() -> httpx.Response:
            with live_app.client(token=token) as client:
                return client.post(path, json=body)

        answer = pool.submit(cancel)
        time.sleep(1.0)
        assert not answer.done(), answer.result().text
        db.commit()
        cancelled = answer.result(timeout=60)
    assert cancelled.status_code == 200, cancelled.text
    assert sorted(cancelled.json()["ended"]["withdrawn"]) == sorted(written.match_ids)
    _nothing_live_on(session, need.id or 0)
    _clean(live_app)
