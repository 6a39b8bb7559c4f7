"""A city admin's review counts are their streets' counts added up: for every value of every filter, with
and without other filters set, the city admin's count is the sum of the street admins' counts, and it is
the number of items the city admin's list pages through with that value chosen. Runs on SQLite and on
PostgreSQL (the city's sums are one pass over the pending rows, with no street condition)."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role, User
from marketplace.matches import signups
from marketplace.matches.inbox import ANY_CONFLICT, SQL_CONFLICTS
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, ResourceLine, Shift
from marketplace.offers.models import Offer
from marketplace.organizations.models import Organization, OrganizationGrid, OrganizationStatus
from marketplace.places.models import Grid, Street
from marketplace.vocabulary import Urgency
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.busy_street import actor_of, finished_round, volunteer_profile
from tests.factories import add_resource_line
from tests.security_helpers import fetch, make_community, make_grid, make_user
from tests.test_review_inbox import Inbox, inbox  # noqa: F401  (fixture)

FACETS = ("kind", "source", "answer", "conflict")


@dataclass
class City:
    """Three streets with pending items of every kind and conflict, their admins and the city's admin."""

    street_admins: list[mf.Person]
    city_admin: mf.Person


def _admin_of(session: Session, street_id: int | None) -> mf.Person:
    person = mf.with_token(session, make_user(session, Role.ADMIN))
    row = session.get(User, person.user.id)
    assert row is not None
    row.street_id = street_id
    session.add(row)
    session.commit()
    return person


def _change(session: Session, model: Any, row_id: int | None, **values: Any) -> None:
    row = session.get(model, row_id)
    assert row is not None
    for name, value in values.items():
        setattr(row, name, value)
    session.add(row)
    session.commit()


def _serve(session: Session, person: mf.Person, grid: Grid) -> mf.Person:
    """The person's organization serves ``grid`` (so it may claim there)."""
    session.merge(OrganizationGrid(organization_id=person.user.organization_id or 0, grid_id=grid.id or 0))
    session.commit()
    return person


def _signup(session: Session, need: Need, grid: Grid, *, starts_in_hours: float) -> Match:
    """A pending sign-up (the shift needs approval) of a new volunteer living in ``grid``."""
    shift = mf.shift(session, need, starts_in_hours=starts_in_hours, requires_approval=True)
    user = make_user(session, Role.VOLUNTEER)
    volunteer_profile(session, user, grid)
    session.commit()
    signup, _created = signups.sign_up(session, actor_of(user), shift.id or 0)
    session.commit()
    return fetch(session, Match, signup.match_id)


def _incompatible_claim(session: Session, inbox: Inbox, need: Need) -> Match:  # noqa: F811
    """Bricks claimed for lamps, as the app took it before the compatibility rule."""
    lamps = add_resource_line(session, need, "10", description="LED声控灯", unit="个")
    bricks = mf.offer_of(session, inbox.partner.user, remaining="100", title="再生透水砖")
    row = Match(
        need_id=need.id or 0,
        kind=MatchKind.OFFER_LINE,
        source=MatchSource.PARTNER_CLAIM,
        resource_line_id=lamps.id,
        offer_id=bricks.id,
        organization_id=bricks.organization_id,
        quantity=Decimal(2),
        status=MatchStatus.PROPOSED,
    )
    session.add(row)
    session.commit()
    return row


def _street_items(session: Session, inbox: Inbox, grids: list[Grid], round_id: int, n: int) -> None:  # noqa: F811
    """Pending items of every kind in these grids, with each conflict SQL tells, due and not due."""
    today = datetime.now(UTC).date()
    for k, grid in enumerate(grids):
        _serve(session, inbox.partner, grid)
        _serve(session, inbox.builder, grid)
        plain = inbox.need(grid)
        due = inbox.need(grid, due_date=today - timedelta(days=1))
        critical = inbox.need(grid, urgency=Urgency.CRITICAL)
        inbox.line_claim(plain)
        inbox.line_claim(due)
        inbox.whole_claim(critical)
        _signup(session, plain, grid, starts_in_hours=48 + k)
        inbox.round_proposal(plain, round_id, accepted=True, score=0.3)
        inbox.round_proposal(due, round_id, accepted=False, score=0.9)
        # Conflicts: a line that needs less than claimed, an offer with less left, a full shift, an overlap.
        short = inbox.line_claim(inbox.need(grid), quantity="5")
        _change(session, ResourceLine, short.resource_line_id, still_needed=Decimal(4))
        full = _signup(session, inbox.need(grid, urgency=Urgency.CRITICAL), grid, starts_in_hours=30)
        _change(session, Shift, full.shift_id, slots=1, confirmed_count=1)
        overlapping = _signup(session, plain, grid, starts_in_hours=72)
        shift = session.get(Shift, overlapping.shift_id)
        assert shift is not None
        other = mf.shift(session, inbox.need(grid), starts_in_hours=73)
        session.add(
            ShiftSignup(
                shift_id=other.id or 0, volunteer_id=overlapping.volunteer_id or 0, status=SignupStatus.CONFIRMED
            )
        )
        session.commit()
        assert other.starts_at < shift.ends_at
        past = _signup(session, inbox.need(grid), grid, starts_in_hours=24)
        ended = datetime.now(UTC) - timedelta(hours=2)
        _change(session, Shift, past.shift_id, starts_at=ended - timedelta(hours=3), ends_at=ended)
        _incompatible_claim(session, inbox, due if k == 0 else inbox.need(grid))
    if n == 1:
        # An offer with less left than claimed, and one that has expired (one street only).
        low = inbox.line_claim(inbox.need(grids[0]), _serve(session, mf.partner(session), grids[0]), quantity="7")
        _change(session, Offer, low.offer_id, remaining_quantity=Decimal(3))
        late = inbox.line_claim(inbox.need(grids[0]), _serve(session, mf.partner(session), grids[0]), quantity="2")
        _change(session, Offer, late.offer_id, valid_until=datetime.now(UTC) - timedelta(hours=1))
    if n == 2:
        # A whole claim by an organization suspended since.
        person = _serve(session, mf.partner(session), grids[0])
        inbox.whole_claim(inbox.need(grids[0]), person)
        _change(
            session,
            Organization,
            person.user.organization_id,
            status=OrganizationStatus.SUSPENDED,
            status_reason="资质过期",
        )


@pytest.fixture
def city(session: Session, inbox: Inbox) -> City:  # noqa: F811
    round_id = finished_round(session, inbox.admin.user).id or 0
    admins = [inbox.admin]
    _street_items(session, inbox, [inbox.north, inbox.south], round_id, 0)
    for n, (code, name) in enumerate((("370202-city-a", "八大关街道"), ("370213-city-b", "李村街道")), start=1):
        street = Street(code=code, name=name, name_en=f"Street {n}", district="市南区", city="青岛市")
        session.add(street)
        session.flush()
        grids = [make_grid(session, make_community(session, street)) for _ in range(n)]
        session.commit()
        _street_items(session, inbox, grids, round_id, n)
        admins.append(_admin_of(session, street.id))
    return City(street_admins=admins, city_admin=_admin_of(session, None))


def _review(client: TestClient[Litestar], person: mf.Person, **params: Any) -> dict[str, Any]:
    response = client.get("/api/v1/review", params={**params, "page_size": 200}, headers=person.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _listed(client: TestClient[Litestar], person: mf.Person, **params: Any) -> list[int]:
    """The ids of every item the list shows, page by page (seven a page)."""
    ids: list[int] = []
    page, pages = 1, 1
    while page <= pages:
        response = client.get("/api/v1/review", params={**params, "page_size": 7, "page": page}, headers=person.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        ids += [item["id"] for item in body["items"]]
        page, pages = page + 1, body["pages"]
    return ids


def _added(bodies: list[dict[str, Any]]) -> dict[str, Any]:
    """The streets' counts added up, shaped as one answer's counts."""
    total: dict[str, Any] = {facet: {} for facet in FACETS} | {"due_today": 0, "community": {}, "round": {}}
    for body in bodies:
        counts = body["counts"]
        for facet in FACETS:
            for value, number in counts[facet].items():
                total[facet][value] = total[facet].get(value, 0) + number
        total["due_today"] += counts["due_today"]
        for key in ("community", "round"):
            for row in counts[key]:
                total[key][row["id"]] = total[key].get(row["id"], 0) + row["count"]
    return total


FILTERS: list[dict[str, str]] = [
    {},
    {"kind": "offer_line"},
    {"conflict": ANY_CONFLICT},
    {"due": "today"},
    {"source": "matching_round", "answer": "awaiting"},
    {"kind": "volunteer_shift", "conflict": "shift_overlap"},
    {"conflict": "incompatible", "due": "today"},
]


@pytest.mark.parametrize(
    "chosen", FILTERS, ids=lambda chosen: "&".join(f"{k}={v}" for k, v in chosen.items()) or "none"
)
def test_a_city_admins_counts_are_the_sum_of_the_street_admins_counts_and_what_the_list_shows(
    client: TestClient[Litestar], city: City, chosen: dict[str, str]
) -> None:
    mine = _review(client, city.city_admin, **chosen)
    streets = [_review(client, admin, **chosen) for admin in city.street_admins]
    counts, added = mine["counts"], _added(streets)

    assert mine["total"] == sum(body["total"] for body in streets)
    assert mine["upto"] == max(body["upto"] for body in streets)
    for facet in FACETS:
        assert counts[facet] == added[facet], facet
    assert counts["due_today"] == added["due_today"]
    assert {row["id"]: row["count"] for row in counts["community"]} == added["community"]
    assert {row["id"]: row["count"] for row in counts["round"]} == added["round"]

    # The list pages through exactly the counted items, each once, the streets' items together.
    listed = _listed(client, city.city_admin, **chosen)
    assert len(listed) == len(set(listed)) == mine["total"]
    assert set(listed) == {item["id"] for body in streets for item in body["items"]}
    # Each value's count is what choosing it (the other filters kept) lists.
    values = {facet: counts[facet] for facet in FACETS} | {"due": {"today": counts["due_today"]}}
    for facet, numbers in values.items():
        for value, number in numbers.items():
            assert len(_listed(client, city.city_admin, **(chosen | {facet: value}))) == number, (facet, value)


def test_the_city_has_every_conflict_due_items_and_both_answers_to_count(
    client: TestClient[Litestar], city: City
) -> None:
    counts = _review(client, city.city_admin)["counts"]
    conflicts = [counts["conflict"][code] for code in SQL_CONFLICTS]
    assert min(conflicts) >= 1 and max(conflicts) <= counts["conflict"][ANY_CONFLICT] <= sum(conflicts), counts
    assert counts["due_today"] >= 3 and counts["answer"]["awaiting"] >= 3 and counts["answer"]["accepted"] >= 3
    assert set(counts["kind"]) == {kind.value for kind in MatchKind} and min(counts["kind"].values()) >= 3
