"""A claim released by a need change, walked to its end: staff lower a line (releasing a proposed claim), raise it
again, and the next matching round proposes the released offer for it once more, while the offer an admin
rejected for that line stays out of every round; the partner can accept the new proposal and the admin approve it."""

from typing import Any

import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.accounts.models import User
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, ResourceLine
from marketplace.offers.models import Offer, OfferGrid
from tests import matches_factories as mf
from tests.security_helpers import fetch, reading
from tests.test_need_changes import _approve, _line_api, _staff, _version
from tests.test_round_proposals import _run_round, fresh_indexes  # noqa: F401  (autouse fixture)
from tests.test_training_ignores_released_claims import _judge_one_release_one


def _round_proposals(session: Session, line_id: int) -> dict[int, Match]:
    """The round's proposals for the line, by offer."""
    with reading(session) as db:
        rows = db.execute(
            sa.select(Match).where(
                Match.source == MatchSource.MATCHING_ROUND,
                Match.kind == MatchKind.OFFER_LINE,
                Match.resource_line_id == line_id,
            )
        ).scalars()
        return {row.offer_id or 0: row for row in rows}


def test_a_round_proposes_a_released_offer_again_but_never_the_rejected_one(
    client: TestClient[Any], session: Session, session_factory: sessionmaker[Session]
) -> None:
    claims = _judge_one_release_one(client, session, "lowered")
    kept, judged, released = claims["kept"], claims["judged"], claims["released"]
    need = fetch(session, Need, kept.need_id or 0)
    line_id = released.resource_line_id or 0
    # All three partners serve the need's grid, so a round sees each offer as a candidate for the line.
    session.add_all(
        [OfferGrid(offer_id=claim.offer_id or 0, grid_id=need.grid_id) for claim in (kept, judged, released)]
    )
    session.commit()

    # While the approved claim covers the lowered line, the round has nothing to propose for it.
    _run_round(session_factory)
    assert _round_proposals(session, line_id) == {}

    staff = _staff(session, need)
    raised = client.patch(
        _line_api(need, fetch(session, ResourceLine, line_id)),
        json={"version": _version(session, need.id or 0), "quantity": "10", "reason": "又有三户报名"},
        headers=staff.headers,
    )
    assert raised.status_code == 200, raised.text

    _run_round(session_factory)
    proposals = _round_proposals(session, line_id)
    assert released.offer_id in proposals, "the released offer was refused by no one: it may be proposed again"
    assert judged.offer_id not in proposals, "the admin rejected that offer for this line"
    again = proposals[released.offer_id or 0]
    assert again.status is MatchStatus.PROPOSED and again.id != released.id
    assert again.quantity == 6, "the line needs 10, of which the approved claim holds 4"

    # The partner accepts the new proposal and the admin approves it: the line is then covered in full.
    offer = fetch(session, Offer, released.offer_id or 0)
    with reading(session) as db:
        user = db.execute(sa.select(User).where(User.organization_id == offer.organization_id)).scalar_one()
    partner = mf.with_token(session, user)
    assert client.post(f"/api/v1/proposals/{again.id}/accept", headers=partner.headers).is_success
    _approve(client, mf.admin(session), again.id or 0)
    with reading(session) as db:
        approved = db.execute(
            sa.select(sa.func.sum(Match.quantity)).where(
                Match.resource_line_id == line_id, Match.status == MatchStatus.APPROVED
            )
        ).scalar_one()
    assert approved == 10
