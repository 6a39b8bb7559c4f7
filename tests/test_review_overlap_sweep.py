"""The review queue's overlapping-shift check, sign-up by sign-up, and the set-based sweep measured against it
(benchmarks/review_overlap_shapes.py ``earliest_overlaps``) give the same answers: on a generated street with
the edge cases (touching shifts, the same start, a shift inside another, held slots cancelled, no-show or
pending, completed ones, pending items decided or cancelled, other volunteers, other streets, a slot held on
the sign-up's own shift), for every pending sign-up the sweep, the cards' check (conflicts.overlaps_of) and the
plain definition name the same earliest overlapping shift, and the review counts, the overlap filter and the
cards, for the city admin and a street admin, name the same sign-ups. Runs on SQLite and on PostgreSQL
(MARKETPLACE_TEST_DATABASE_URL)."""

import random
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.matches import inbox as review
from marketplace.matches.conflicts import overlaps_of
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, Shift
from marketplace.places.models import Community, Grid
from marketplace.volunteers.models import ShiftSignup, SignupStatus, VolunteerProfile
from tests import factories
from tests import matches_factories as mf
from tests.busy_street import volunteer_profile
from tests.security_helpers import make_community, make_grid, make_user

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from review_overlap_shapes import SLOT_HOLDERS, earliest_overlaps

HOUR = timedelta(hours=1)


@dataclass
class Street:
    pending: list[Match]  # every pending sign-up, of this street and of the other
    street_id: int  # the first street's


def _shift(session: Session, need: Need, start: int, hours: int) -> Shift:
    base = mf.soon(24).replace(minute=0, second=0, microsecond=0)
    return factories.add_shift(session, need, starts_at=base + start * HOUR, ends_at=base + (start + hours) * HOUR)


def _match(session: Session, need: Need, shift: Shift, volunteer: VolunteerProfile, status: MatchStatus) -> Match:
    row = Match(
        need_id=need.id or 0,
        kind=MatchKind.VOLUNTEER_SHIFT,
        source=MatchSource.MATCHING_ROUND,
        shift_id=shift.id,
        volunteer_id=volunteer.id,
        status=status,
        decision_reason=None if status is MatchStatus.PROPOSED else "测试",
    )
    session.add(row)
    session.flush()
    return row


@pytest.fixture
def street(session: Session) -> Street:
    here = make_grid(session, make_community(session))
    there = make_grid(session, make_community(session, factories.make_street(session)))  # another street's
    needs = [mf.project(session, here), mf.project(session, there)]
    volunteers = []
    for _ in range(12):
        user = make_user(session, Role.VOLUNTEER)
        volunteers.append(volunteer_profile(session, user, here))
    session.commit()
    chance = random.Random(20261207)
    # Starts and lengths on a coarse grid of hours, so the same start, touching ends and containment are common.
    shifts = [
        _shift(session, chance.choice(needs), chance.randrange(0, 24), chance.choice((1, 2, 3, 6))) for _ in range(60)
    ]
    statuses = list(SignupStatus)
    pending: list[Match] = []
    for volunteer in volunteers:
        mine = chance.sample(shifts, 10)
        for shift in mine[:6]:  # held, cancelled, no-show, pending ... slots
            session.add(
                ShiftSignup(shift_id=shift.id or 0, volunteer_id=volunteer.id or 0, status=chance.choice(statuses))
            )
        for shift in mine[6:]:  # pending sign-ups, and sign-ups decided or cancelled (never asked about)
            status = chance.choice((MatchStatus.PROPOSED,) * 3 + (MatchStatus.CANCELLED, MatchStatus.FULFILLED))
            row = _match(session, session.get(Need, shift.need_id) or needs[0], shift, volunteer, status)
            if status is MatchStatus.PROPOSED:
                pending.append(row)
    # A slot held on the sign-up's own shift is not an overlap with itself; the next held shift may be.
    volunteer = volunteers[0]
    own, inside, later = (
        _shift(session, needs[0], 30, 4),
        _shift(session, needs[0], 31, 1),
        _shift(session, needs[1], 34, 2),
    )
    for shift in (own, inside, later):
        session.add(ShiftSignup(shift_id=shift.id or 0, volunteer_id=volunteer.id or 0, status=SignupStatus.CONFIRMED))
    pending.append(_match(session, needs[0], own, volunteer, MatchStatus.PROPOSED))
    alone = _shift(session, needs[0], 50, 2)  # held, and pending, and nothing else near it
    session.add(ShiftSignup(shift_id=alone.id or 0, volunteer_id=volunteer.id or 0, status=SignupStatus.COMPLETED))
    pending.append(_match(session, needs[0], alone, volunteer, MatchStatus.PROPOSED))
    session.commit()
    community = session.get(Community, here.community_id)
    assert community is not None
    return Street(pending=pending, street_id=community.street_id)


def _by_definition(session: Session, pending: list[Match]) -> dict[int, int]:
    """The earliest (start, id) shift each pending sign-up's volunteer holds that overlaps it, by the rule."""
    held = session.execute(
        sa.select(ShiftSignup.volunteer_id, Shift)
        .join(Shift, Shift.id == ShiftSignup.shift_id)
        .where(ShiftSignup.status.in_(SLOT_HOLDERS))
    ).all()
    found = {}
    for match in pending:
        own = session.get(Shift, match.shift_id)
        assert own is not None
        overlapping = sorted(
            (shift.starts_at, shift.id)
            for volunteer_id, shift in held
            if volunteer_id == match.volunteer_id
            and shift.id != own.id
            and shift.starts_at < own.ends_at
            and shift.ends_at > own.starts_at
        )
        if overlapping:
            found[match.id or 0] = overlapping[0][1]
    return found


def _street_of(session: Session, match: Match) -> int:
    return session.execute(
        sa.select(Community.street_id)
        .join(Grid, Grid.community_id == Community.id)
        .join(Need, Need.grid_id == Grid.id)
        .where(Need.id == match.need_id)
    ).scalar_one()


def _swept(session: Session) -> dict[int, int]:
    asked = (
        sa.select(Match.id, Match.volunteer_id, Shift.id.label("shift_id"), Shift.starts_at, Shift.ends_at)
        .join(Shift, Shift.id == Match.shift_id)
        .where(Match.status == MatchStatus.PROPOSED, Match.kind == MatchKind.VOLUNTEER_SHIFT)
        .cte("asked")
    )
    return {int(match_id): int(shift_id) for match_id, shift_id in session.execute(earliest_overlaps(asked)).all()}


def test_the_sweep_names_the_same_earliest_overlapping_shift(session: Session, street: Street) -> None:
    expected = _by_definition(session, street.pending)
    assert 10 <= len(expected) < len(street.pending)  # the generated street has both kinds
    own_shift_case = street.pending[-2]
    assert expected[own_shift_case.id or 0] != own_shift_case.shift_id  # the held slot inside it, not itself
    assert street.pending[-1].id not in expected
    assert _swept(session) == expected
    assert {k: v.id for k, v in overlaps_of(session, street.pending).items()} == expected


@pytest.mark.parametrize("admin", ["city", "street"])
def test_the_review_counts_and_filter_name_the_same_sign_ups(session: Session, street: Street, admin: str) -> None:
    streets = frozenset({street.street_id}) if admin == "street" else None
    expected = set(_by_definition(session, street.pending))
    if streets is not None:
        expected &= {m.id or 0 for m in street.pending if _street_of(session, m) == street.street_id}
    clock = review.Clock.at(db=session, streets=streets)
    counts = review.count_inbox(session, review.InboxFilters(streets=streets), clock)
    assert counts.conflicts["shift_overlap"] == len(expected)
    chosen = review.InboxFilters(streets=streets, conflict="shift_overlap")
    ids = review.matching_ids(session, chosen, review.InboxSort.OLDEST, upto=None, limit=1000, clock=clock)
    assert set(ids) == expected
    assert review.count_matching(session, chosen, upto=None, clock=clock) == len(expected)
    page = review.inbox_page(session, chosen, review.InboxSort.SHIFT, page_size=200)
    assert {card.match.id for card in page.cards} == expected
    named = _by_definition(session, street.pending)
    for card in page.cards:
        note = next(note for note in card.conflicts if note.code == "shift_overlap")
        assert f"#{named[card.match.id or 0]}" in note.shift
