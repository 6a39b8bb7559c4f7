"""Withdrawing an offer while claims, staff proposals and approvals of it arrive at the same moment, through a
real server on SQLite and PostgreSQL: nothing is left waiting on the withdrawn offer, and what was approved
is exactly what the offer gave.

Adders read the offer under a shared row lock (offers.lifecycle.enter_offer) and approvals lock it before the
match (hold_offer): a withdrawal waits for those already inside, then ends what they made; those arriving later
read it withdrawn. Without the lock, a claim reading the offer active just before the withdrawal committed was
left waiting on it for good."""

from collections import Counter
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchStatus
from marketplace.offers.models import Offer, OfferStatus
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.needs_helpers import token_for
from tests.security_helpers import reading
from tests.test_need_cancel_races import _clean, _together

ROUNDS = 3
STOCK = Decimal(50)


def _claim_body(line_id: int, offer_id: int) -> dict[str, Any]:
    return {"kind": "line", "resource_line_id": line_id, "offer_id": offer_id, "quantity": "2"}


def test_a_withdrawal_racing_claims_proposals_and_approvals_leaves_nothing_waiting(
    live_app: LiveApp,  # noqa: F811
    session: Session,
) -> None:
    boss = mf.admin(session)
    seen: Counter[tuple[str, int]] = Counter()
    for _ in range(ROUNDS):
        need = mf.project(session)
        lines = [mf.line(session, need, "100") for _ in range(8)]
        partner = mf.partner(session)
        offer = mf.offer_of(session, partner.user, str(STOCK))
        waiting: list[int] = []
        with live_app.client(token=partner.token) as client:
            for line in lines[:3]:
                made = client.post(f"/api/v1/projects/{need.id}/claims", json=_claim_body(line.id, offer.id))
                assert made.status_code == 201, made.text
                waiting.append(int(made.json()["id"]))
        with live_app.client(token=boss.token) as client:
            decided = client.post(f"/api/v1/matches/{waiting[2]}/decision", json={"decision": "approve"})
            assert decided.status_code == 200, decided.text
        writer = token_for(session, partner.user, ["offers:write"])
        calls: list[tuple[str | None, str, dict[str, Any] | None]] = [
            (writer, f"/api/v1/offers/{offer.id}/withdraw", None)
        ]
        names = ["withdraw"]
        for line in lines[3:6]:
            calls.append((partner.token, f"/api/v1/projects/{need.id}/claims", _claim_body(line.id, offer.id)))
            names.append("claim")
        for line in lines[6:8]:
            body = {"kind": "offers", "part_id": line.id, "candidate_id": offer.id, "shown_rank": 1}
            calls.append((boss.token, f"/api/v1/needs/{need.id}/proposals", body))
            names.append("proposal")
        for match_id in waiting[:2]:
            calls.append((boss.token, f"/api/v1/matches/{match_id}/decision", {"decision": "approve"}))
            names.append("approval")

        answers = _together(live_app, calls)

        assert answers[0].status_code == 200, answers[0].text
        for name, answer in zip(names[1:], answers[1:], strict=True):
            seen[(name, answer.status_code)] += 1
            assert answer.status_code in (200, 201, 400, 409), (name, answer.status_code, answer.text[:300])
        with reading(session) as db:
            rows = list(db.execute(sa.select(Match).where(Match.offer_id == offer.id)).scalars())
            stored = db.get(Offer, offer.id)
        assert stored is not None and stored.status is OfferStatus.WITHDRAWN
        assert [row.id for row in rows if row.status is MatchStatus.PROPOSED] == []
        approved = sum((row.quantity or Decimal(0)) for row in rows if row.status is MatchStatus.APPROVED)
        assert stored.remaining_quantity + approved == STOCK  # what was approved is exactly what the offer gave
    print(f"\n[withdraw vs claims, proposals and approvals, {ROUNDS} rounds] {dict(seen)}")
    _clean(live_app)
