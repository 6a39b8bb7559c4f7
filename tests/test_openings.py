"""One rule says whether a line takes claims and a shift takes sign-ups (marketplace/matches/openings.py),
and every path follows it: claims, sign-ups, approvals, matching rounds and recommendations.

Also: a later round does not propose again a pair its candidate declined or an admin rejected; an admin
turning down a proposal nobody answered tells the candidate the street withdrew it; a need whose shift
ended with places unfilled still verifies.
"""

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.db.types import utcnow
from marketplace.matches.models import Match, MatchKind, MatchStatus
from marketplace.needs.models import Need, NeedStatus, ResourceLine, Shift
from marketplace.notifications.messages import render
from marketplace.notifications.models import Notification
from marketplace.recommend import services as recommend_service
from tests import matches_factories as mf
from tests.security_helpers import fetch, make_grid, reading
from tests.test_round_proposals import _decide, _proposed, _round_matches, _run_round, fresh_indexes  # noqa: F401


def _close_line(session: Session, line_id: int) -> None:
    row = session.get(ResourceLine, line_id)
    assert row is not None
    row.closed_at, row.closed_reason = utcnow(), "够了"
    session.add(row)
    session.commit()


def _cancel_shift(session: Session, shift_id: int) -> None:
    row = session.get(Shift, shift_id)
    assert row is not None
    row.cancelled_at, row.cancel_reason = utcnow(), "下雨"
    session.add(row)
    session.commit()


def _pair(match: Match) -> tuple[str, int, int]:
    if match.kind is MatchKind.OFFER_LINE:
        return ("line", match.resource_line_id or 0, match.offer_id or 0)
    return ("shift", match.shift_id or 0, match.volunteer_id or 0)


def test_a_round_proposes_nothing_for_a_closed_line_a_cancelled_shift_or_a_project_claimed_whole(
    client: TestClient[Any], session_factory: sessionmaker[Session]
) -> None:
    street, _round, shifts, lines = _proposed(session_factory)
    assert shifts and lines  # the street is one a round proposes for
    refused = {_pair(match) for match in [*shifts, *lines]}
    with session_factory() as session:
        for match in [*shifts, *lines]:
            _decide(client, street.admin, match.id or 0, "reject", reason="重新来过")
        # Rejected pairs are not proposed again (the third volunteer may be: a new pair).
        _run_round(session_factory)
        seen = {match.id for match in _round_matches(session)}
        assert not refused & {_pair(match) for match in _round_matches(session) if match.status is MatchStatus.PROPOSED}

        # A fresh line and shift of the same need, closed and cancelled at once: a round leaves them alone,
        # and so do the recommendations.
        line = mf.line(session, street.need, "300")
        shift = mf.shift(session, street.need, slots=3, requires_approval=False)
        _close_line(session, line.id or 0)
        _cancel_shift(session, shift.id or 0)
        _run_round(session_factory)
        fresh = [match for match in _round_matches(session) if match.id not in seen]
        assert not [m for m in fresh if m.resource_line_id == line.id or m.shift_id == shift.id]
        recommended = recommend_service.recommend(session, fetch(session, Need, street.need.id), "offers", k=5)
        assert line.id not in {part.part_id for part in recommended}
        assert street.line.id in {part.part_id for part in recommended}  # the open line still is
        seen |= {match.id for match in fresh}

        # Opened again but claimed whole by a partner: nothing for any part of the project.
        reopened = session.get(ResourceLine, line.id)
        assert reopened is not None
        reopened.closed_at = None
        session.add(reopened)
        session.commit()
        whole = client.post(
            f"/api/v1/projects/{street.need.id}/claims", json={"kind": "whole"}, headers=street.partner.headers
        )
        assert whole.status_code == 201, whole.text
        _run_round(session_factory)
        assert not [match for match in _round_matches(session) if match.id not in seen]
        assert recommend_service.recommend(session, fetch(session, Need, street.need.id), "offers", k=5) == []


def test_approval_follows_the_same_rule_as_new_claims(client: TestClient[Any], session: Session) -> None:
    need = mf.project(session)
    line = mf.line(session, need, "10")
    partner, other, boss = mf.partner(session), mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, partner.user, "10")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"}
    claim = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=partner.headers)
    assert claim.status_code == 201, claim.text
    # The whole project claimed by another partner after this line claim: the line claim waits.
    assert (
        client.post(f"/api/v1/projects/{need.id}/claims", json={"kind": "whole"}, headers=other.headers).status_code
        == 201
    )
    refused = _decide(client, boss, claim.json()["id"])
    assert refused.status_code == 409 and refused.json()["extra"]["code"] == "project_claimed_whole"
    assert fetch(session, Match, claim.json()["id"]).status is MatchStatus.PROPOSED
    assert fetch(session, ResourceLine, line.id).still_needed == 10
    # Closed as enough: nothing is approved on it either, and the claim stays for an admin to reject.
    whole_id = next(m.id for m in _matches_of(session, need.id or 0) if m.kind is MatchKind.WHOLE_NEED)
    assert _decide(client, boss, whole_id or 0, "reject", reason="不需要").status_code == 200
    _close_line(session, line.id or 0)
    closed = _decide(client, boss, claim.json()["id"])
    assert closed.status_code == 409 and closed.json()["extra"]["code"] == "line_closed"
    assert fetch(session, ResourceLine, line.id).still_needed == 10


def _matches_of(session: Session, need_id: int) -> list[Match]:
    with reading(session) as db:
        return list(db.execute(sa.select(Match).where(Match.need_id == need_id)).scalars())


def test_an_unanswered_proposal_turned_down_reads_as_withdrawn_to_its_candidate(
    client: TestClient[Any], session_factory: sessionmaker[Session]
) -> None:
    street, _round, shifts, _lines = _proposed(session_factory)
    proposal = shifts[0]
    volunteer = street.volunteers[proposal.volunteer_id or 0]
    assert _decide(client, street.admin, proposal.id or 0, "reject", reason="另有安排").status_code == 200
    with session_factory() as session, reading(session) as db:
        kinds = list(
            db.execute(sa.select(Notification.kind).where(Notification.user_id == volunteer.user.id)).scalars()
        )
        told = db.execute(
            sa.select(Notification).where(
                Notification.user_id == volunteer.user.id, Notification.kind == "proposal_withdrawn"
            )
        ).scalar_one()
    assert "match_decided" not in kinds
    text = render(told.kind, told.payload, 1).text
    assert "撤回" in text and "另有安排" in text and "垃圾分类督导" in text


def test_a_need_whose_shift_ended_with_places_unfilled_verifies(client: TestClient[Any], session: Session) -> None:
    grid = make_grid(session)
    need = mf.project(session, grid)
    shift = mf.shift(session, need, slots=3, requires_approval=False, starts_in_hours=0.5)
    grid_volunteer, _profile = mf.volunteer(session, grid)
    signed = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=grid_volunteer.headers)
    assert signed.status_code == 201, signed.text
    assert fetch(session, Need, need.id).status is NeedStatus.PARTIALLY_MATCHED
    # The shift is over (moved into the past by hand: a test cannot wait for it).
    row = session.get(Shift, shift.id)
    assert row is not None
    row.starts_at, row.ends_at = utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=1)
    session.add(row)
    session.commit()
    boss = mf.admin(session)
    done = client.post(f"/api/v1/needs/{need.id}/verify", json={"satisfaction": 4}, headers=boss.headers)
    assert done.status_code == 200, done.text
    assert fetch(session, Need, need.id).status is NeedStatus.VERIFIED


@pytest.mark.parametrize("closed", [NeedStatus.COMPLETED, NeedStatus.VERIFIED, NeedStatus.CANCELLED])
def test_nothing_is_approved_on_a_project_no_longer_open(
    client: TestClient[Any], session: Session, closed: NeedStatus
) -> None:
    """A line claim and a sign-up waiting in the queue when the project closed stay pending (to be rejected):
    approving them would reserve an offer and a volunteer's place for a project nobody works on."""
    grid = make_grid(session)
    need = mf.project(session, grid)
    line = mf.line(session, need, "10")
    shift = mf.shift(session, need, requires_approval=True)
    partner, boss = mf.partner(session), mf.admin(session)
    offer = mf.offer_of(session, partner.user, "10")
    body = {"kind": "line", "resource_line_id": line.id, "offer_id": offer.id, "quantity": "4"}
    claim = client.post(f"/api/v1/projects/{need.id}/claims", json=body, headers=partner.headers)
    person, _profile = mf.volunteer(session, grid)
    signup = client.post(f"/api/v1/shifts/{shift.id}/signups", headers=person.headers)
    assert claim.status_code == 201 and signup.status_code == 201, (claim.text, signup.text)
    row = session.get(Need, need.id)
    assert row is not None
    row.status = closed
    session.add(row)
    session.commit()
    for match_id in (claim.json()["id"], signup.json()["id"]):
        refused = _decide(client, boss, match_id)
        assert refused.status_code == 409 and refused.json()["extra"]["code"] == "project_closed", refused.text
        assert fetch(session, Match, match_id).status is MatchStatus.PROPOSED
    assert fetch(session, ResourceLine, line.id).still_needed == 10
    assert fetch(session, Shift, shift.id).confirmed_count == 0
    assert _decide(client, boss, claim.json()["id"], "reject", reason="项目已结束").status_code == 200
