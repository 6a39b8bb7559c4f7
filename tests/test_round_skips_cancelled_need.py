"""A round writes no proposal on a need cancelled while it was planning (rounds.proposals.write enters the
plan's needs first, as every path adding to a need does: matches.services.enter_open_needs_for_round)."""

from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.needs.models import Need, NeedStatus
from marketplace.rounds import proposals
from matching.round import Proposal, RoundPlan, RoundStats
from tests import matches_factories as mf
from tests.test_rounds import _round_matches, _street


def test_a_need_cancelled_after_planning_gets_no_proposal_and_an_open_one_does(session: Session) -> None:
    world = _street(session)
    need, line, (bricks, more) = world["need"], world["line"], world["offers"]
    still_open = mf.project(session, world["grid"])
    its_line = mf.line(session, still_open, "50")
    plan = RoundPlan(
        lines=[
            Proposal("line", need.id, line.id, bricks.id, 0.9, 1, (), quantity=100.0),
            Proposal("line", still_open.id, its_line.id, more.id, 0.9, 1, (), quantity=50.0),
        ],
        shifts=[Proposal("shift", need.id, world["shift"].id, world["people"][0], 0.9, 1, ())],
        stats=RoundStats(),
    )
    # While the round was planning, staff cancelled the first need.
    session.execute(sa.update(Need).where(Need.id == need.id).values(status=NeedStatus.CANCELLED))  # type: ignore[arg-type]
    session.commit()
    with Session(session.get_bind()) as db:
        written = proposals.write(db, plan, proposals.Author(None, "cli"))
        db.commit()
    assert (written.lines, written.shifts, written.skipped) == (1, 0, 2)
    [made] = _round_matches(session)
    assert made.need_id == still_open.id and made.quantity == Decimal(50)
