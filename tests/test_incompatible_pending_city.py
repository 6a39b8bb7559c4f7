"""The city admin's inbox judges the compatibility of every street's pending claims: the claims it flags are
exactly the street admins' flagged claims together, and exactly the pending line claims whose offer cannot
serve their line (another unit, a converted unit, another kind, another item counted in 个). Runs on SQLite
and on PostgreSQL (the city's claims are read in one query with no street condition)."""

from decimal import Decimal
from typing import Any

from sqlmodel import Session

from marketplace.matches import compatibility
from marketplace.matches.inbox import Clock
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization
from marketplace.places.models import Grid, Street
from marketplace.vocabulary import Category, ResourceKind
from tests.factories import add_resource_line, make_need, make_offer
from tests.security_helpers import default_street, make_community, make_grid, make_org

RICE = {"category": Category.LIVELIHOOD, "title": "大米", "unit": "公斤"}

# (offer, line, can serve): the offer's and the line's fields over the factories' bricks in m².
PAIRS: list[tuple[dict[str, Any], dict[str, Any], bool]] = [
    ({}, {}, True),  # bricks for bricks
    ({"title": "LED声控楼道灯", "unit": "盏"}, {"description": "LED声控灯", "unit": "个"}, True),  # same lamps
    ({"title": "再生透水砖"}, {"description": "LED声控灯", "unit": "个"}, False),  # an area is not a count
    ({"title": "灭火器", "unit": "个"}, {"description": "LED声控灯", "unit": "个"}, False),  # another item
    (RICE | {"unit": "吨"}, {"category": Category.LIVELIHOOD, "description": "大米", "unit": "公斤"}, False),
    (RICE | {"kind": ResourceKind.SERVICE, "title": "大米配送"}, {"category": Category.LIVELIHOOD}, False),
    (RICE, {"category": Category.LIVELIHOOD, "description": "大米", "unit": "公斤"}, True),
]


def _claim(session: Session, need: Need, offer: Offer, line_id: int | None, status: MatchStatus) -> Match:
    """A line claim as the app took it before the compatibility rule (the rows are not judged on the way)."""
    row = Match(
        need_id=need.id or 0,
        kind=MatchKind.OFFER_LINE,
        source=MatchSource.PARTNER_CLAIM,
        resource_line_id=line_id,
        offer_id=offer.id,
        organization_id=offer.organization_id,
        quantity=Decimal(1),
        status=status,
        decision_reason="不匹配" if status == MatchStatus.REJECTED else None,
    )
    session.add(row)
    session.flush()
    return row


def _street_claims(session: Session, organization: Organization, grid: Grid, shift: int) -> set[int]:
    """Claims of every pair on the grid's needs, pending and decided; returns the pending incompatible ids.

    ``shift`` rotates which pairs the street has, so the streets differ."""
    flagged: set[int] = set()
    for n, (offer_fields, line_fields, can_serve) in enumerate(PAIRS[shift:] + PAIRS[:shift]):
        need = make_need(session, grid)
        line = add_resource_line(session, need, "10", **line_fields)
        offer = make_offer(session, organization, **offer_fields)
        pending = _claim(session, need, offer, line.id, MatchStatus.PROPOSED)
        if not can_serve:
            flagged.add(pending.id or 0)
            # The same pair claimed twice: both claims are flagged (each pair is judged once per process).
            flagged.add(_claim(session, need, offer, line.id, MatchStatus.PROPOSED).id or 0)
            # Decided claims of it are not pending: never flagged.
            _claim(session, need, offer, line.id, (MatchStatus.APPROVED, MatchStatus.REJECTED)[n % 2])
    # A pending whole claim has no offer and no line: not a line claim to judge.
    session.add(
        Match(
            need_id=make_need(session, grid).id or 0,
            kind=MatchKind.WHOLE_NEED,
            source=MatchSource.PARTNER_CLAIM,
            organization_id=organization.id,
            status=MatchStatus.PROPOSED,
        )
    )
    session.flush()
    return flagged


def test_the_city_admins_incompatible_claims_are_the_street_admins_together(session: Session) -> None:
    organization = make_org(session)
    streets = [default_street(session)]
    for n in (1, 2, 3):
        street = Street(code=f"incompat-{n}", name=f"街道{n}", name_en=f"Street {n}", district="市南区", city="青岛市")
        session.add(street)
        session.flush()
        streets.append(street)
    expected: dict[int, set[int]] = {}
    for n, street in enumerate(streets[:3]):
        grids = [make_grid(session, make_community(session, street)) for _ in range(n + 1)]
        expected[street.id or 0] = set().union(
            *(_street_claims(session, organization, grid, n + k) for k, grid in enumerate(grids))
        )
    expected[streets[3].id or 0] = set()  # a street with no claims
    session.commit()

    city = compatibility.incompatible_pending(session)
    by_street = {
        street_id: compatibility.incompatible_pending(session, frozenset({street_id})) for street_id in expected
    }
    assert by_street == expected
    assert city == set().union(*by_street.values()) == set().union(*expected.values())
    assert len(city) == 6 * 4 * 2  # six grids, four pairs that cannot serve, each claimed twice
    # Several streets at once, and the inbox's clock (what /review filters and counts on), agree.
    assert compatibility.incompatible_pending(session, frozenset(expected)) == city
    assert Clock.at(db=session).incompatible == city
    first_two = frozenset(list(expected)[:2])
    assert Clock.at(db=session, streets=first_two).incompatible == by_street[min(first_two)] | by_street[max(first_two)]
