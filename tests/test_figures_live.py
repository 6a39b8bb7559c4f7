"""Figures from live data: days to close, satisfaction, partner contributions and volunteer hours.

Each expected number is computed here, row by row in Python, from the rows the test inserts, and compared
with the SQL aggregates (SQLite by default; PostgreSQL with MARKETPLACE_TEST_DATABASE_URL).
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session

from marketplace.dashboard.figures import street_figures
from marketplace.matches.models import Match, MatchKind, MatchSource, MatchStatus
from marketplace.needs.models import Need, NeedStatus, Shift
from marketplace.vocabulary import Category, IntakeChannel
from marketplace.volunteers.models import ShiftSignup, SignupStatus
from tests.factories import (
    add_resource_line,
    add_shift,
    make_community,
    make_grid,
    make_need,
    make_offer,
    make_organization,
    make_street,
    make_volunteer,
)

STREET = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 6, 15)
T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


@dataclass
class World:
    needs: list[Need] = field(default_factory=list)
    fulfilled: list[tuple[int, str, Decimal, int]] = field(default_factory=list)  # org, unit, quantity, need
    whole: list[tuple[int, int]] = field(default_factory=list)  # org, need
    names: dict[int, str] = field(default_factory=dict)
    signups: list[tuple[int, Decimal, datetime, Category]] = field(default_factory=list)  # volunteer, hours, start, cat


def _match(session: Session, **values: object) -> None:
    session.add(Match(source=MatchSource.PARTNER_CLAIM, **values))  # type: ignore[arg-type]
    session.flush()


@pytest.fixture
def world(session_factory: sessionmaker[Session]) -> World:
    w = World()
    with session_factory() as session:
        street = make_street(session)
        community = make_community(session, street)
        grids = [make_grid(session, community, n) for n in (1, 2)]
        specs = [
            # category, channel, grid, status, days to complete, days to verify, satisfaction
            (Category.RENOVATION, IntakeChannel.GRID_WALK, 0, NeedStatus.VERIFIED, 4.5, 7.25, 5),
            (Category.RENOVATION, IntakeChannel.HOTLINE_12345, 1, NeedStatus.COMPLETED, 3.0, None, None),
            (Category.ELDERLY_CARE, IntakeChannel.GRID_WALK, 0, NeedStatus.VERIFIED, 10.0, 12.5, 3),
            (Category.ELDERLY_CARE, IntakeChannel.DOOR_VISIT, 1, NeedStatus.PUBLISHED, None, None, None),
            (Category.SANITATION, IntakeChannel.DOOR_VISIT, 0, NeedStatus.COMPLETED, 1.75, None, 4),
        ]
        for n, (category, channel, grid, status, completed, verified, rating) in enumerate(specs):
            created = T0 + timedelta(days=n)
            need = make_need(
                session,
                grids[grid],
                status,
                category=category,
                channel=channel,
                created_at=created,
                completed_at=created + timedelta(days=completed) if completed is not None else None,
                verified_at=created + timedelta(days=verified) if verified is not None else None,
                satisfaction=rating,
            )
            w.needs.append(need)
        # A merged duplicate, solved quickly, is not a separate need: it must not move the average.
        make_need(
            session,
            grids[0],
            NeedStatus.COMPLETED,
            duplicate_of_id=w.needs[0].id,
            created_at=T0,
            completed_at=T0 + timedelta(days=100),
            satisfaction=1,
        )

        a = make_organization(session, street, name="青岛港集团")
        b = make_organization(session, street, name="湖岛物业")
        c = make_organization(session, street, name="没有交付的单位")
        w.names = {a.id: a.name, b.id: b.name}
        bricks = make_offer(session, a, unit="m²")
        kits = make_offer(session, a, unit="套", quantity=Decimal(50), remaining_quantity=Decimal(50))
        b_bricks = make_offer(session, b, unit="m²")
        c_offer = make_offer(session, c, unit="m²")
        lines = [add_resource_line(session, need, "500") for need in w.needs]
        deliveries = [
            (bricks, lines[0], "120.5", MatchStatus.FULFILLED),
            (bricks, lines[1], "80", MatchStatus.FULFILLED),
            (kits, lines[2], "12", MatchStatus.FULFILLED),
            (b_bricks, lines[0], "40", MatchStatus.FULFILLED),
            (bricks, lines[3], "999", MatchStatus.APPROVED),  # not delivered yet: not counted
            (c_offer, lines[3], "7", MatchStatus.PROPOSED),
        ]
        for offer, line, quantity, status in deliveries:
            _match(
                session,
                need_id=line.need_id,
                kind=MatchKind.OFFER_LINE,
                resource_line_id=line.id,
                offer_id=offer.id,
                organization_id=offer.organization_id,
                quantity=Decimal(quantity),
                status=status,
            )
            if status == MatchStatus.FULFILLED:
                w.fulfilled.append((offer.organization_id, offer.unit, Decimal(quantity), line.need_id))
        _match(
            session,
            need_id=w.needs[4].id,
            kind=MatchKind.WHOLE_NEED,
            organization_id=b.id,
            status=MatchStatus.FULFILLED,
        )
        w.whole.append((b.id, w.needs[4].id))

        volunteers = [make_volunteer(session, grids[0]) for _ in range(3)]
        # Shift starts on the street's clock: 2026-05-31 23:30 local is May, 2026-06-01 00:30 local is June.
        starts = [
            datetime(2026, 5, 31, 15, 30, tzinfo=UTC),
            datetime(2026, 5, 31, 16, 30, tzinfo=UTC),
            datetime(2026, 1, 10, 2, 0, tzinfo=UTC),
            datetime(2025, 6, 10, 2, 0, tzinfo=UTC),  # thirteen months back: total yes, by month no
        ]
        plan = [
            (0, 0, "3.5", SignupStatus.COMPLETED),
            (1, 0, "2", SignupStatus.COMPLETED),
            (0, 1, "4", SignupStatus.COMPLETED),
            (2, 2, "6.25", SignupStatus.COMPLETED),
            (1, 3, "1.5", SignupStatus.COMPLETED),
            (2, 1, "0", SignupStatus.NO_SHOW),
            (0, 2, "0", SignupStatus.CONFIRMED),
        ]
        shifts: list[Shift] = []
        for n, start in enumerate(starts):
            shifts.append(add_shift(session, w.needs[n % 3 + 2], slots=10, starts_at=start))
        for volunteer_index, shift_index, hours, status in plan:
            shift = shifts[shift_index]
            volunteer = volunteers[volunteer_index]
            session.add(
                ShiftSignup(shift_id=shift.id, volunteer_id=volunteer.id, status=status, hours_credited=Decimal(hours))
            )
            if Decimal(hours) > 0:
                category = next(need.category for need in w.needs if need.id == shift.need_id)
                w.signups.append((volunteer.id, Decimal(hours), shift.starts_at, category))  # type: ignore[arg-type]
        session.commit()
    return w


def _closed_days(need: Need) -> float:
    closed = need.verified_at or need.completed_at
    assert closed is not None
    return (closed - need.created_at).total_seconds() / 86400


def test_days_to_close_and_satisfaction(session_factory: sessionmaker[Session], world: World) -> None:
    with session_factory() as session:
        figures = street_figures(session, today=TODAY)
    solved = [need for need in world.needs if need.status in (NeedStatus.COMPLETED, NeedStatus.VERIFIED)]
    expected = sum(_closed_days(need) for need in solved) / len(solved)
    assert figures.average_days_to_close == pytest.approx(expected, abs=0.06)
    assert figures.average_days_to_close == pytest.approx((7.25 + 3 + 12.5 + 1.75) / 4, abs=0.06)

    for tallies, attribute in ((figures.by_category, "category"), (figures.by_channel, "channel")):
        groups: dict[object, list[float]] = defaultdict(list)
        for need in solved:
            groups[getattr(need, attribute)].append(_closed_days(need))
        for tally in tallies:
            key = getattr(tally, attribute)
            if key in groups:
                assert tally.average_days_to_close == pytest.approx(sum(groups[key]) / len(groups[key]), abs=0.06)
            else:
                assert tally.average_days_to_close is None
    by_grid: dict[int, list[float]] = defaultdict(list)
    for need in solved:
        by_grid[need.grid_id].append(_closed_days(need))
    for tally in figures.by_grid:
        assert tally.average_days_to_close == pytest.approx(
            sum(by_grid[tally.grid_id]) / len(by_grid[tally.grid_id]), abs=0.06
        )

    ratings = [need.satisfaction for need in world.needs if need.satisfaction is not None]
    assert figures.satisfaction_count == len(ratings) == 3
    assert figures.satisfaction_average == pytest.approx(sum(ratings) / len(ratings), abs=0.06)


def test_partner_contributions(session_factory: sessionmaker[Session], world: World) -> None:
    with session_factory() as session:
        partners = street_figures(session, today=TODAY).partners
    delivered: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    helped: dict[int, set[int]] = defaultdict(set)
    for organization_id, unit, quantity, need_id in world.fulfilled:
        delivered[organization_id][unit] += float(quantity)
        helped[organization_id].add(need_id)
    for organization_id, need_id in world.whole:
        helped[organization_id].add(need_id)

    assert [p.organization_name for p in partners] == ["青岛港集团", "湖岛物业"]  # 3 projects, then 2
    for partner in partners:
        assert partner.projects_helped == len(helped[partner.organization_id])
        assert {d.unit: d.quantity for d in partner.delivered} == dict(delivered[partner.organization_id])
    assert {d.unit: d.quantity for d in partners[0].delivered} == {"m²": 200.5, "套": 12.0}


def test_volunteer_hours(session_factory: sessionmaker[Session], world: World) -> None:
    with session_factory() as session:
        hours = street_figures(session, today=TODAY).hours
    assert hours.total == float(sum(h for _, h, _, _ in world.signups)) == 17.25
    assert hours.shifts_served == len(world.signups) == 5
    assert hours.volunteers_serving == len({v for v, _, _, _ in world.signups}) == 3

    by_month: dict[str, float] = defaultdict(float)
    for _, credited, start, _ in world.signups:
        by_month[start.astimezone(STREET).strftime("%Y-%m")] += float(credited)
    assert len(hours.by_month) == 12
    assert hours.by_month[0].month == "2025-07" and hours.by_month[-1].month == "2026-06"
    shown = {m.month: m.hours for m in hours.by_month if m.hours}
    assert shown == {month: value for month, value in by_month.items() if month >= "2025-07"}
    assert shown == {"2026-05": 5.5, "2026-06": 4.0, "2026-01": 6.25}

    by_category: dict[Category, float] = defaultdict(float)
    for _, credited, _, category in world.signups:
        by_category[category] += float(credited)
    assert {c.category: c.hours for c in hours.by_category} == dict(by_category)

    per_volunteer: dict[int, float] = defaultdict(float)
    for volunteer, credited, _, _ in world.signups:
        per_volunteer[volunteer] += float(credited)
    assert [r.hours for r in hours.top] == sorted(per_volunteer.values(), reverse=True)
    assert [r.rank for r in hours.top] == [1, 2, 3]


def test_figures_page_and_api_show_live_figures_without_volunteer_names(
    client: TestClient[Litestar], world: World
) -> None:
    body = client.get("/api/v1/stats").json()
    assert body["average_days_to_close"] == pytest.approx(6.1, abs=0.06)
    assert body["partners"][0]["organization_name"] == "青岛港集团"
    assert body["hours"]["total"] == 17.25
    assert all(set(row) == {"rank", "hours", "shifts"} for row in body["hours"]["top"])
    html = client.get("/figures").text
    assert "青岛港集团" in html and "17.25" in html
    assert re.search(r"志愿者\d+", html) is None  # the volunteers' display names (志愿者N) are never shown
    client.cookies.set("lang", "en")
    english = client.get("/figures").text
    assert "Average days to close" in english and "Partner contributions" in english
