"""The adapter hands the matching library the signals the street's rows hold: interests, an imported
completion rate, an offer's start date, each grid's community, skill groups, distance scales, and past work
per community as of a moment (serving: now; training: the decision's date)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel import Session

from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.recommend import records as rows
from marketplace.settings import Settings, SettingsError
from marketplace.vocabulary import Category
from marketplace.volunteers.models import AvailabilitySlot, ShiftSignup, SignupStatus, VolunteerInterest
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


def _street(session: Session):  # type: ignore[no-untyped-def]
    street = make_street(session)
    north, south = make_community(session, street), make_community(session, street)
    return street, north, south, make_grid(session, north, 1), make_grid(session, south, 2, latitude=36.12)


def test_volunteer_records_carry_interests_and_the_imported_rate(session: Session) -> None:
    _st, _n, _s, grid, _g = _street(session)
    keen = make_volunteer(session, grid, reliability_rate=0.92)
    plain = make_volunteer(session, grid)
    for category in (Category.ELDERLY_CARE, Category.HEALTH):
        session.add(VolunteerInterest(volunteer_id=keen.id or 0, category=category))
    session.commit()
    found = {v.id: v for v in rows.volunteer_records(session)}
    assert found[keen.id].interests == frozenset({"elderly_care", "health"})
    assert found[keen.id].reliability_rate == pytest.approx(0.92)
    assert found[plain.id].interests == frozenset() and found[plain.id].reliability_rate is None
    # One person's records (the "for me" page) carry theirs too.
    (only,) = rows.volunteer_records(session, only=keen.id)
    assert only.interests == frozenset({"elderly_care", "health"})


def test_grids_carry_their_community_and_skills_their_group(session: Session) -> None:
    _st, north, south, grid_n, grid_s = _street(session)
    care, repair = make_skill(session, group="care"), make_skill(session, group="repair")
    session.commit()
    points = {point.id: point.community_id for point in rows.grid_points(session)}
    assert points == {grid_n.id: north.id, grid_s.id: south.id}
    assert rows.skill_groups(session) == {care.id: "care", repair.id: "repair"}


def test_offer_records_carry_the_start_date(session: Session) -> None:
    street, *_ = _street(session)
    organization = make_organization(session, street)
    later = datetime.now(UTC) + timedelta(days=10)
    offer = make_offer(session, organization, available_from=later, valid_until=later + timedelta(days=30))
    session.commit()
    (record,) = rows.offer_records(session)
    assert record.id == offer.id and record.available_from == later


def _fulfilled_shift(session: Session, grid, volunteer, when: datetime, *, signup: bool, match: bool):  # type: ignore[no-untyped-def]
    need = make_need(session, grid)
    shift = add_shift(session, need, starts_at=when - timedelta(hours=3))
    if match:
        session.add(
            Match(
                need_id=need.id or 0,
                kind=MatchKind.VOLUNTEER_SHIFT,
                source=MatchSource.STAFF,
                shift_id=shift.id,
                volunteer_id=volunteer.id,
                status=MatchStatus.FULFILLED,
                decided_at=when - timedelta(days=1),
                fulfilled_at=when,
            )
        )
    if signup:
        session.add(
            ShiftSignup(
                shift_id=shift.id or 0,
                volunteer_id=volunteer.id or 0,
                status=SignupStatus.COMPLETED,
                checked_in_at=when - timedelta(hours=3),
                checked_out_at=when,
            )
        )
    session.flush()


def test_community_work_counts_each_shift_once_as_of_the_moment(session: Session) -> None:
    _st, north, south, grid_n, grid_s = _street(session)
    volunteer = make_volunteer(session, grid_n)
    # North: one shift both matched and signed up (once), one only signed up; south: one a month later.
    _fulfilled_shift(session, grid_n, volunteer, T, signup=True, match=True)
    _fulfilled_shift(session, grid_n, volunteer, T + timedelta(days=1), signup=True, match=False)
    _fulfilled_shift(session, grid_s, volunteer, T + timedelta(days=30), signup=False, match=True)
    session.commit()
    assert rows.volunteer_work(session, T - timedelta(seconds=1)) == {}
    assert rows.volunteer_work(session, T + timedelta(days=2)) == {volunteer.id: {north.id: 2}}
    assert rows.volunteer_work(session, T + timedelta(days=31)) == {volunteer.id: {north.id: 2, south.id: 1}}
    # One person's page asks for theirs alone.
    assert rows.volunteer_work(session, T + timedelta(days=31), only=volunteer.id) == {
        volunteer.id: {north.id: 2, south.id: 1}
    }
    assert rows.volunteer_work(session, T + timedelta(days=31), only=(volunteer.id or 0) + 1) == {}
    # Serving counts everything done by now; training asks as of a decision's date.
    (record,) = rows.volunteer_records(session)
    assert dict(record.community_work) == {north.id: 2, south.id: 1}
    (then,) = rows.candidates_as_of(session, [record], T + timedelta(days=2))
    assert dict(then.community_work) == {north.id: 2}


def test_an_organization_is_credited_per_project_served(session: Session) -> None:
    street, north, south, grid_n, grid_s = _street(session)
    organization = make_organization(session, street)
    offer = make_offer(session, organization)
    need = make_need(session, grid_n)
    for _ in range(2):  # two lines of one project: one project served
        line = add_resource_line(session, need)
        session.add(
            Match(
                need_id=need.id or 0,
                kind=MatchKind.OFFER_LINE,
                source=MatchSource.STAFF,
                resource_line_id=line.id,
                offer_id=offer.id,
                quantity=Decimal(5),
                status=MatchStatus.FULFILLED,
                fulfilled_at=T,
            )
        )
    whole = make_need(session, grid_s)
    session.add(
        Match(
            need_id=whole.id or 0,
            kind=MatchKind.WHOLE_NEED,
            source=MatchSource.PARTNER_CLAIM,
            organization_id=organization.id,
            status=MatchStatus.FULFILLED,
            fulfilled_at=T + timedelta(days=5),
        )
    )
    session.commit()
    assert rows.organization_work(session, T) == {organization.id: {north.id: 1}}
    assert rows.organization_work(session, T + timedelta(days=5)) == {organization.id: {north.id: 1, south.id: 1}}
    assert rows.organization_work(session, T + timedelta(days=5), only=(organization.id or 0) + 1) == {}
    (record,) = rows.offer_records(session)
    assert dict(record.community_work) == {north.id: 1, south.id: 1}


def test_distance_scales_reach_the_indexes(session: Session) -> None:
    street, _n, _s, grid_n, grid_s = _street(session)
    volunteer = make_volunteer(session, grid_s)
    for weekday in range(7):
        session.add(AvailabilitySlot(volunteer_id=volunteer.id or 0, weekday=weekday, start_minute=0, end_minute=1440))
    need = make_need(session, grid_n, category=Category.ELDERLY_CARE)
    add_shift(session, need, starts_at=datetime.now(UTC) + timedelta(days=2))
    add_resource_line(session, need, category=Category.ELDERLY_CARE)
    make_offer(session, make_organization(session, street))
    session.commit()
    (shift,) = rows.shift_records(session, need)
    (line,) = rows.line_records(session, need)
    candidates, grids = rows.volunteer_records(session), rows.grid_points(session)

    def proximity(scales: rows.DistanceScales) -> float:
        index = rows.candidate_index("volunteers", candidates, grids, scales=scales)
        return float(index.features(shift).values["proximity"][0])  # type: ignore[union-attr]

    tight, loose = rows.DistanceScales({"elderly_care": 0.5}), rows.DistanceScales({"elderly_care": 10.0})
    assert proximity(tight) < proximity(rows.DistanceScales()) < proximity(loose)
    offers = rows.candidate_index(
        "offers", rows.offer_records(session), grids, scales=rows.DistanceScales(area_km={"material": 7.5})
    )
    assert offers.area_scale(line) == 7.5  # type: ignore[union-attr]
    # Without explicit scales, the application's settings serve.
    rows.use_distance_scales(rows.DistanceScales({"elderly_care": 0.5}))
    try:
        assert proximity(None) == proximity(tight)  # type: ignore[arg-type]
    finally:
        rows.use_distance_scales(rows.DistanceScales())


def test_distance_scale_settings_are_checked_at_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETPLACE_MATCH_PROXIMITY_KM", "elderly_care=1, renovation=3")
    monkeypatch.setenv("MARKETPLACE_MATCH_AREA_KM", "material=5,health=2")
    settings = Settings.from_env()
    assert settings.match_proximity_km == {"elderly_care": 1.0, "renovation": 3.0}
    assert settings.match_area_km == {"material": 5.0, "health": 2.0}
    for name, value, named in (
        ("MATCH_PROXIMITY_KM", "gardening=1", "gardening"),  # not a category
        ("MATCH_PROXIMITY_KM", "material=1", "material"),  # a kind is no need category
        ("MATCH_AREA_KM", "material=0", "material"),
        ("MATCH_AREA_KM", "health=far", "health"),
    ):
        monkeypatch.setenv(f"MARKETPLACE_{name}", value)
        with pytest.raises(SettingsError, match=f"MARKETPLACE_{name}.*{named}"):
            Settings.from_env()
        monkeypatch.delenv(f"MARKETPLACE_{name}")
