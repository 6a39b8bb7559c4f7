"""Training on the street's own decisions sees each decision's features as they were then: past work per
community as of the decision (never work done after it), and the serving index's skill groups."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import ShiftSkill
from marketplace.recommend import records, training
from marketplace.volunteers.models import AvailabilitySlot, ShiftSignup, SignupStatus, VolunteerSkill
from tests.factories import (
    add_resource_line,
    add_shift,
    make_community,
    make_grid,
    make_need,
    make_offer,
    make_organization,
    make_skill,
    make_street,
    make_volunteer,
)

T = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _decided(session: Session, need_id: int, status: MatchStatus, decided_at: datetime, **part: object) -> None:
    kind = MatchKind.VOLUNTEER_SHIFT if "shift_id" in part else MatchKind.OFFER_LINE
    fulfilled_at = decided_at + timedelta(days=1) if status == MatchStatus.FULFILLED else None
    session.add(
        Match(
            need_id=need_id,
            kind=kind,
            source=MatchSource.STAFF,
            status=status,
            decision_reason="不合适" if status == MatchStatus.REJECTED else None,
            decided_at=decided_at,
            fulfilled_at=fulfilled_at,
            **part,
        )
    )
    session.flush()


def _column(data, name: str, part_id: int) -> float:  # type: ignore[no-untyped-def]
    (row,) = [i for i, part in enumerate(data.part_ids.tolist()) if part == part_id]
    return float(data.matrix[row, data.names.index(name)])


def test_work_done_after_a_decision_does_not_inform_it_and_skill_groups_reach_training(session: Session) -> None:
    street = make_street(session)
    north = make_community(session, street)
    grid = make_grid(session, north, 1)
    held = make_skill(session, group="care")
    required = make_skill(session, group="care")  # not held, but of a group the volunteer holds a skill of
    volunteer = make_volunteer(session, grid)
    session.add(VolunteerSkill(volunteer_id=volunteer.id or 0, skill_id=held.id or 0))

    def shift_decided(decided_at: datetime, status: MatchStatus) -> int:
        need = make_need(session, grid)
        shift = add_shift(session, need, starts_at=decided_at + timedelta(days=2))
        session.add(ShiftSkill(shift_id=shift.id or 0, skill_id=required.id or 0))
        _decided(session, need.id or 0, status, decided_at, shift_id=shift.id, volunteer_id=volunteer.id)
        return shift.id or 0

    # The volunteer's only work in north: decided at T - 3 days, fulfilled a day later (after `before`).
    before = shift_decided(T - timedelta(days=10), MatchStatus.REJECTED)
    worked = shift_decided(T - timedelta(days=3), MatchStatus.FULFILLED)
    after = shift_decided(T, MatchStatus.APPROVED)
    session.commit()

    data = training.decision_set(session, "volunteers")
    assert len(data) == 3 and data.dropped == 0
    assert _column(data, "community_familiarity", before) == 0.0  # the work came after this decision
    assert _column(data, "community_familiarity", worked) == 0.0  # decided before it was fulfilled
    assert _column(data, "community_familiarity", after) > 0.0  # by then it had been done
    for part in (before, worked, after):
        assert _column(data, "skill_related", part) > 0.0  # the skill groups reached the training index


def test_an_organization_is_familiar_only_after_it_served_the_community(session: Session) -> None:
    street = make_street(session)
    north = make_community(session, street)
    grid = make_grid(session, north, 1)
    organization = make_organization(session, street)
    offer = make_offer(session, organization)

    def line_decided(decided_at: datetime, status: MatchStatus) -> int:
        need = make_need(session, grid)
        line = add_resource_line(session, need)
        _decided(
            session,
            need.id or 0,
            status,
            decided_at,
            resource_line_id=line.id,
            offer_id=offer.id,
            quantity=Decimal(1),
        )
        return line.id or 0

    before = line_decided(T - timedelta(days=10), MatchStatus.REJECTED)
    line_decided(T - timedelta(days=3), MatchStatus.FULFILLED)
    after = line_decided(T, MatchStatus.REJECTED)
    session.commit()

    data = training.decision_set(session, "offers")
    assert data.dropped == 0
    assert _column(data, "community_familiarity", before) == 0.0
    assert _column(data, "community_familiarity", after) > 0.0


def test_a_volunteers_load_and_record_are_read_as_they_were_when_decided(session: Session) -> None:
    """A shift booked this week and three completions since do not inform a decision made months ago."""
    street = make_street(session)
    grid = make_grid(session, make_community(session, street), 1)
    volunteer = make_volunteer(session, grid, fulfilled_count=3, weekly_hour_cap=10)
    now = datetime.now(UTC)
    # Today's load: a confirmed three-hour shift starting now; three shifts completed after the decision.
    for starts_at, status in [(now, SignupStatus.CONFIRMED)] + [
        (T + timedelta(days=d), SignupStatus.COMPLETED) for d in (5, 6, 7)
    ]:
        shift = add_shift(session, make_need(session, grid), starts_at=starts_at)
        session.add(ShiftSignup(shift_id=shift.id or 0, volunteer_id=volunteer.id or 0, status=status))
    need = make_need(session, grid)
    shift = add_shift(session, need, starts_at=T + timedelta(days=2))
    _decided(session, need.id or 0, MatchStatus.REJECTED, T, shift_id=shift.id, volunteer_id=volunteer.id)
    session.commit()

    [today] = [v for v in records.volunteer_records(session) if v.id == volunteer.id]
    assert today.hours_this_week > 0 and today.fulfilled == 3  # what serving sees now
    data = training.decision_set(session, "volunteers")
    assert _column(data, "load", shift.id or 0) == 0.0  # nothing was booked in the week of the decision
    assert _column(data, "experience", shift.id or 0) == 0.0  # none of the three had happened yet


def test_an_offers_open_matches_are_counted_as_they_were_when_decided(session: Session) -> None:
    street = make_street(session)
    grid = make_grid(session, make_community(session, street), 1)
    offer = make_offer(session, make_organization(session, street))
    need = make_need(session, grid)
    waiting = add_resource_line(session, need)
    # A claim on the offer made today, still open: it did not weigh on the offer in June.
    session.add(
        Match(
            need_id=need.id or 0,
            kind=MatchKind.OFFER_LINE,
            source=MatchSource.PARTNER_CLAIM,
            status=MatchStatus.PROPOSED,
            resource_line_id=waiting.id,
            offer_id=offer.id,
            quantity=Decimal(1),
        )
    )
    decided = add_resource_line(session, make_need(session, grid))
    _decided(
        session,
        decided.need_id,
        MatchStatus.REJECTED,
        T,
        resource_line_id=decided.id,
        offer_id=offer.id,
        quantity=Decimal(1),
    )
    session.commit()

    data = training.decision_set(session, "offers")
    assert _column(data, "load", decided.id or 0) == 0.0


def test_a_shifts_pool_is_who_passed_its_pre_filters_then_and_was_not_decided(session: Session) -> None:
    """The listwise model learns how the approved compare with the rest of the pool: a volunteer free at the
    shift's time and registered by then is in it; one never free then, one registered later and the decided
    one are not, nor one of another street; and reading the pool changes none of the decisions' features."""
    street = make_street(session)
    north = make_community(session, street)
    here, there = make_grid(session, north, 1), make_grid(session, north, 9)

    def volunteer(grid, registered: datetime, free: bool) -> int:  # type: ignore[no-untyped-def]
        person = make_volunteer(session, grid, created_at=registered)
        for weekday in range(7) if free else ():
            session.add(AvailabilitySlot(volunteer_id=person.id or 0, weekday=weekday, start_minute=0, end_minute=1440))
        return person.id or 0

    decided = volunteer(here, T - timedelta(days=30), True)
    volunteer(there, T - timedelta(days=30), True)  # the pool
    volunteer(here, T - timedelta(days=30), False)  # never free: fails the pre-filters
    volunteer(here, T + timedelta(days=1), True)  # registered after the decision
    volunteer(make_grid(session, make_community(session, make_street(session)), 1), T - timedelta(days=30), True)
    need = make_need(session, here)
    shift = add_shift(session, need, starts_at=T + timedelta(days=2))
    _decided(session, need.id or 0, MatchStatus.APPROVED, T, shift_id=shift.id, volunteer_id=decided)
    session.commit()

    data, pools = training.decisions_and_pool(session, "volunteers")
    assert pools is not None
    [pool] = pools.values()
    assert pool.shape == (1, len(data.names))
    assert pool[0, data.names.index("distance_km")] > 0  # the one living on the other grid
    assert pool[0, data.names.index("availability")] == 1.0
    plain = training.decision_set(session, "volunteers")
    assert np.array_equal(plain.matrix, data.matrix) and np.array_equal(plain.candidate_ids, data.candidate_ids)


def test_a_lines_pool_is_the_offers_of_its_street_that_could_serve_it_then(session: Session) -> None:
    """An offer of an organization serving the street, in the line's unit and made by then, is in the line's
    pool; one made after the decision, one counted in another unit, one of another street's organization and
    the decided offer are not; and reading the pool changes none of the decisions' features."""
    street = make_street(session)
    grid = make_grid(session, make_community(session, street), 1)
    here = make_organization(session, street)
    made = T - timedelta(days=30)
    decided = make_offer(session, here, created_at=made, valid_from=made)
    pooled = make_offer(session, here, created_at=made, valid_from=made, remaining_quantity=Decimal(50))
    make_offer(session, here, created_at=T + timedelta(days=1), valid_from=made)  # made after the decision
    make_offer(session, here, created_at=made, valid_from=made, unit="台", title="发电机")  # another unit
    elsewhere = make_organization(session, make_street(session))
    make_offer(session, elsewhere, created_at=made, valid_from=made)  # serves another street
    need = make_need(session, grid)
    line = add_resource_line(session, need)
    _decided(
        session,
        need.id or 0,
        MatchStatus.APPROVED,
        T,
        resource_line_id=line.id,
        offer_id=decided.id,
        quantity=Decimal(1),
    )
    session.commit()

    data, pools = training.decisions_and_pool(session, "offers")
    assert pools is not None
    assert set(pools) == {line.id}
    assert pools[line.id or 0].shape == (1, len(data.names))
    by_itself = training.decisions_and_pool(session, "offers", pool=False)[0]
    assert np.array_equal(by_itself.matrix, data.matrix)
    # the one pooled is the offer with half the line left in it (every other offer holds all of it)
    assert pools[line.id or 0][0, data.names.index("coverage")] == 0.5
    assert _column(data, "coverage", line.id or 0) == 1.0
    assert pooled.id not in set(data.candidate_ids.tolist())
