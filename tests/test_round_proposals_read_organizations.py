"""A round's proposals pair an offer with a need only where the offer's organization serves the need's street
(rule 4, marketplace/organizations/served_streets.py), and ``proposals.write`` reads the offers' organizations
from the database itself: no caller hands it a map that could be wrong or incomplete."""

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchSource
from marketplace.rounds import proposals
from matching.round import Proposal, RoundPlan, RoundStats
from tests.security_helpers import reading
from tests.test_street_scope_rounds import _two_streets


def _line(world: dict[str, Any], key: str, offer: int, quantity: float) -> Proposal:
    return Proposal("line", world[f"need_{key}"].id, world[f"line_{key}"].id, offer, 0.9, 1, (), quantity)


def _proposed(session: Session) -> list[tuple[int, int, int]]:
    with reading(session) as db:
        query = (
            sa.select(Match.need_id, Match.offer_id, Match.organization_id)
            .where(Match.source == MatchSource.MATCHING_ROUND, Match.kind == MatchKind.OFFER_LINE)
            .order_by(Match.id)
        )
        return [(int(n), int(o), int(g)) for n, o, g in db.execute(query)]


def test_an_offer_whose_organization_does_not_serve_the_street_is_not_proposed_there(session: Session) -> None:
    world = _two_streets(session)  # organization B offers for street A's grid too, but serves street B only
    plan = RoundPlan(
        lines=[
            _line(world, "a", world["offer_b"], 500.0),  # B's offer on street A's need: not served
            _line(world, "a", world["offer_a"], 400.0),  # A's offer on street A's need: served
            _line(world, "b", world["offer_b"], 300.0),  # B's offer on street B's need: served
        ],
        shifts=[],
        stats=RoundStats(),
    )
    with Session(session.get_bind()) as db:
        written = proposals.write(db, plan, proposals.Author(None, "cli"))
        db.commit()
    assert (written.lines, written.skipped) == (2, 1)
    need_a, need_b = world["need_a"].id, world["need_b"].id
    # Each proposal records the organization the offer belongs to, as the database has it.
    assert _proposed(session) == [
        (need_a, world["offer_a"], world["org_a"]),
        (need_b, world["offer_b"], world["org_b"]),
    ]
