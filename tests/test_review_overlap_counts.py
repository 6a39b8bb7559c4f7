"""The review inbox's overlapping-shift conflict, on a built scenario: a pending sign-up is flagged exactly when
its volunteer holds a slot (confirmed, checked in or completed) on another shift whose time overlaps it,
ends touching it do not count. The count, the filter, the ids the list pages through and the cards' notes
all name the same sign-ups, for the city admin and for a street admin. Runs on SQLite and on PostgreSQL
(MARKETPLACE_TEST_DATABASE_URL)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from marketplace.matches import inbox as review
from marketplace.matches.conflicts import overlaps_of
from marketplace.matches.models import Match
from marketplace.needs.models import Need, Shift
from marketplace.places.models import Community, Grid
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests import matches_factories as mf
from tests.test_review_inbox import Inbox, inbox  # noqa: F401  (fixture)

HOUR = timedelta(hours=1)


def _get(session: Session, model: Any, row_id: Any) -> Any:
    """A row through the test's own session (a second session would wait for its write lock on SQLite)."""
    row = session.get(model, row_id)
    assert row is not None
    return row


@dataclass
class Scenario:
    flagged: set[int]  # the pending sign-ups that overlap a held slot
    clear: set[int]  # those that do not
    street_id: int


def _pending(inbox: Inbox, need: Need, starts: datetime) -> Match:  # noqa: F811
    """A pending sign-up of a new volunteer on a two-hour shift from ``starts``."""
    match = inbox.signup(need, starts_in_hours=48)
    shift = _get(inbox.session, Shift, match.shift_id)
    shift.starts_at, shift.ends_at = starts, starts + 2 * HOUR
    inbox.session.add(shift)
    inbox.session.commit()
    return match


def _holds(session: Session, match: Match, need: Need, starts: datetime, hours: float, status: SignupStatus) -> None:
    """The sign-up's volunteer has a sign-up of ``status`` on another shift of ``hours`` from ``starts``."""
    other = mf.shift(session, need)
    other.starts_at, other.ends_at = starts, starts + hours * HOUR
    session.add(other)
    session.add(ShiftSignup(shift_id=other.id or 0, volunteer_id=match.volunteer_id or 0, status=status))
    session.commit()


@pytest.fixture
def scenario(session: Session, inbox: Inbox) -> Scenario:  # noqa: F811
    t = mf.soon(72)
    need, elsewhere = inbox.need(), inbox.need(inbox.south)
    flagged: set[int] = set()
    clear: set[int] = set()
    # (held slot's start relative to the pending shift, its length in hours, its status, overlaps?)
    cases = [
        (HOUR, 2, SignupStatus.CONFIRMED, True),
        (HOUR, 2, SignupStatus.CHECKED_IN, True),
        (-HOUR, 2, SignupStatus.COMPLETED, True),
        (-HOUR, 4, SignupStatus.CONFIRMED, True),  # contains the pending shift
        (HOUR / 2, 1, SignupStatus.CONFIRMED, True),  # inside it
        (HOUR, 2, SignupStatus.CANCELLED, False),
        (HOUR, 2, SignupStatus.NO_SHOW, False),
        (HOUR, 2, SignupStatus.PENDING, False),
        (2 * HOUR, 2, SignupStatus.CONFIRMED, False),  # starts as it ends
        (-2 * HOUR, 2, SignupStatus.CONFIRMED, False),  # ends as it starts
        (10 * HOUR, 2, SignupStatus.CONFIRMED, False),
    ]
    for offset, hours, status, overlaps in cases:
        match = _pending(inbox, need, t)
        _holds(session, match, elsewhere, t + offset, hours, status)
        (flagged if overlaps else clear).add(match.id or 0)
    # Two overlapping slots: flagged once. No slot at all: clear.
    twice = _pending(inbox, need, t)
    _holds(session, twice, elsewhere, t, 1, SignupStatus.CONFIRMED)
    _holds(session, twice, elsewhere, t + HOUR, 2, SignupStatus.COMPLETED)
    flagged.add(twice.id or 0)
    clear.add(_pending(inbox, need, t).id or 0)
    # A held slot overlapping a pending sign-up of the south grid, and a line claim (never a shift conflict).
    south = _pending(inbox, elsewhere, t)
    _holds(session, south, need, t, 2, SignupStatus.CONFIRMED)
    flagged.add(south.id or 0)
    clear.add(inbox.line_claim(need).id or 0)
    grid_community = _get(session, Community, inbox.north.community_id)
    return Scenario(flagged=flagged, clear=clear, street_id=grid_community.street_id)


def _in_street(session: Session, ids: set[int], street_id: int) -> set[int]:
    found = set()
    for match_id in ids:
        need = _get(session, Need, _get(session, Match, match_id).need_id)
        community = _get(session, Community, _get(session, Grid, need.grid_id).community_id)
        if community.street_id == street_id:
            found.add(match_id)
    return found


@pytest.mark.parametrize("street", [False, True], ids=["city admin", "street admin"])
def test_overlap_counts_and_flagged_rows_agree(session: Session, scenario: Scenario, street: bool) -> None:
    streets = frozenset({scenario.street_id}) if street else None
    flagged = _in_street(session, scenario.flagged, scenario.street_id) if street else scenario.flagged
    everyone = scenario.flagged | scenario.clear
    clock = review.Clock.at(db=session, streets=streets)

    counts = review.count_inbox(session, review.InboxFilters(streets=streets), clock)
    assert counts.conflicts["shift_overlap"] == len(flagged)

    chosen = review.InboxFilters(streets=streets, conflict="shift_overlap")
    ids = review.matching_ids(session, chosen, review.InboxSort.OLDEST, upto=None, limit=1000, clock=clock)
    assert set(ids) == flagged
    assert review.count_matching(session, chosen, upto=None, clock=clock) == len(flagged)
    narrowed = review.count_inbox(session, chosen, clock)
    assert narrowed.total == len(flagged)
    assert narrowed.conflicts["shift_overlap"] == len(flagged)
    assert sum(narrowed.communities.values()) == len(flagged)

    # The cards say the same: the overlapping shift shown on each flagged sign-up, on none other.
    matches = [_get(session, Match, match_id) for match_id in everyone]
    assert set(overlaps_of(session, matches)) == scenario.flagged

    # Any conflict includes them; the page of the overlap filter shows exactly them, each with its note.
    anything = review.InboxFilters(streets=streets, conflict=review.ANY_CONFLICT)
    assert flagged <= set(review.matching_ids(session, anything, review.InboxSort.DUE, upto=None, limit=1000))
    page = review.inbox_page(session, chosen, review.InboxSort.SHIFT, page_size=200)
    assert {card.match.id for card in page.cards} == flagged
    for card in page.cards:
        assert "shift_overlap" in {note.code for note in card.conflicts}


def test_street_admin_counts_add_up_to_the_city_admins(session: Session, scenario: Scenario) -> None:
    city = review.count_inbox(session, review.InboxFilters(), review.Clock.at(db=session))
    streets = {scenario.street_id} | {
        _get(session, Community, community_id).street_id
        for community_id in city.communities
        if community_id is not None
    }
    total = 0
    for street_id in streets:
        only = frozenset({street_id})
        total += review.count_inbox(
            session, review.InboxFilters(streets=only), review.Clock.at(db=session, streets=only)
        ).conflicts["shift_overlap"]
    assert total == city.conflicts["shift_overlap"] == len(scenario.flagged)
