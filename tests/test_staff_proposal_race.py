"""Staff proposing the same offer for the same resource line at the same moment, against a real server:
one proposal is written, the others get the 409 that says why, and no 5xx. Before the line's row lock
both passed the "already live" check on PostgreSQL and two identical proposals reached the partner."""

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind
from marketplace.recommend import services
from tests import matches_factories as mf
from tests.live_app import LiveApp, live_app  # noqa: F401  (fixture)
from tests.security_helpers import reading
from tests.test_staff_proposals import _line_world

PROPOSERS = 8


def test_eight_staff_propose_the_same_offer_for_one_line_at_once(live_app: LiveApp, session: Session) -> None:  # noqa: F811
    services.forget()
    need, line, fitting, _, _ = _line_world(session)
    tokens = [mf.admin(session).token for _ in range(PROPOSERS)]
    body = {"kind": "offers", "part_id": line.id, "candidate_id": fitting.id}
    barrier = threading.Barrier(PROPOSERS)

    def propose(token: str) -> httpx.Response:
        with live_app.client(token=token) as client:
            barrier.wait(timeout=30)
            return client.post(f"/api/v1/needs/{need.id}/proposals", json=body)

    with ThreadPoolExecutor(max_workers=PROPOSERS) as pool:
        responses = list(pool.map(propose, tokens))
    codes = Counter(r.status_code for r in responses)
    assert codes == Counter({201: 1, 409: PROPOSERS - 1}), [r.text[:200] for r in responses]
    assert all(r.json()["extra"]["code"] == "already_live" for r in responses if r.status_code == 409)
    assert "Traceback" not in live_app.log(), live_app.log()[-3000:]
    with reading(session) as db:
        live = db.execute(
            sa.select(sa.func.count())
            .select_from(Match)
            .where(Match.kind == MatchKind.OFFER_LINE, Match.resource_line_id == line.id, Match.offer_id == fitting.id)
        ).scalar_one()
    assert live == 1
