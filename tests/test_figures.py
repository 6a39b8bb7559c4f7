"""The street's figures agree with counts made row by row in the test, on the page and in the API."""

from collections import Counter
from decimal import Decimal

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from marketplace.dashboard.figures import street_figures
from marketplace.needs.models import Need, NeedStatus
from marketplace.offers.models import Offer, OfferStatus
from marketplace.organizations.models import Organization, OrganizationStatus
from marketplace.volunteers.models import VolunteerProfile
from tests.factories import StreetScenario, build_street, make_grid, make_need

SOLVED = {NeedStatus.COMPLETED, NeedStatus.VERIFIED}
OPEN = {NeedStatus.PUBLISHED, NeedStatus.PARTIALLY_MATCHED, NeedStatus.MATCHED, NeedStatus.IN_PROGRESS}


@pytest.fixture
def street(session_factory: sessionmaker[Session]) -> StreetScenario:
    with session_factory() as session:
        scenario = build_street(session)
        # An extra grid with no needs at all still has its row in the by-grid table.
        make_grid(session, scenario.communities[1], 3, name="杭州路三网格", name_en="Hangzhou Road Grid 3")
        session.commit()
        return scenario


def counted_needs(session: Session) -> list[Need]:
    """Needs as the figures count them: every need except those merged into another as duplicates."""
    return [need for need in session.exec(select(Need)).all() if need.duplicate_of_id is None]


def test_figures_match_counts_made_row_by_row(session_factory: sessionmaker[Session], street: StreetScenario) -> None:
    with session_factory() as session:
        figures = street_figures(session)
        needs = counted_needs(session)
        organizations = session.exec(select(Organization)).all()
        offers = session.exec(select(Offer)).all()
        volunteers = session.exec(select(VolunteerProfile)).all()

    solved = [need for need in needs if need.status in SOLVED]
    assert figures.needs_collected == len(needs) == 9  # ten needs, one merged duplicate
    assert figures.needs_solved == len(solved) == 2
    assert figures.completion_rate == pytest.approx(2 / 9)
    assert figures.open_projects == len([need for need in needs if need.status in OPEN]) == 4
    assert figures.partners_approved == len([o for o in organizations if o.status == OrganizationStatus.APPROVED])
    assert figures.offers_active == len([o for o in offers if o.status == OfferStatus.ACTIVE]) == 1
    assert figures.volunteers_registered == len(volunteers) == 2
    assert figures.volunteer_hours == float(sum((v.hours_total for v in volunteers), Decimal(0))) == 15.5
    assert figures.grids == 5

    assert {t.category: t.collected for t in figures.by_category} == Counter(n.category for n in needs)
    assert {t.category: t.solved for t in figures.by_category if t.solved} == Counter(n.category for n in solved)
    assert {t.channel: t.collected for t in figures.by_channel} == Counter(n.channel for n in needs)
    assert {t.channel: t.solved for t in figures.by_channel if t.solved} == Counter(n.channel for n in solved)

    by_grid = {t.grid_id: (t.collected, t.solved) for t in figures.by_grid}
    collected_by_grid = Counter(need.grid_id for need in needs)
    solved_by_grid = Counter(need.grid_id for need in solved)
    assert by_grid == {grid_id: (collected_by_grid[grid_id], solved_by_grid[grid_id]) for grid_id in by_grid}
    assert len(by_grid) == 5 and (0, 0) in by_grid.values()


def test_figures_of_an_empty_street_are_zero(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session:
        figures = street_figures(session)
    assert (figures.needs_collected, figures.needs_solved, figures.completion_rate) == (0, 0, 0.0)
    assert figures.by_category == figures.by_grid == figures.by_channel == []
    assert figures.volunteer_hours == 0.0


def test_stats_api_returns_the_figures(client: TestClient[Litestar], street: StreetScenario) -> None:
    body = client.get("/api/v1/stats").json()
    assert body["needs_collected"] == 9
    assert body["needs_solved"] == 2
    assert body["completion_rate"] == pytest.approx(2 / 9)
    assert body["volunteer_hours"] == 15.5
    renovation = next(row for row in body["by_category"] if row["category"] == "renovation")
    assert renovation == {
        "category": "renovation",
        "label": "老旧小区改造",
        "collected": 5,
        "solved": 0,
        "average_days_to_close": None,
    }
    assert {row["grid_name"] for row in body["by_grid"]} >= {"湖岛一网格", "杭州路三网格"}


def test_figures_page_shows_the_numbers_in_both_languages(client: TestClient[Litestar], street: StreetScenario) -> None:
    html = client.get("/figures").text
    assert "街道数据公示" in html
    assert "22.2%" in html
    assert "收集需求9件，已解决2件" in html
    assert "杭州路三网格" in html and "按网格统计" in html
    assert "红茶议事会" in html  # a channel label
    client.cookies.set("lang", "en")
    english = client.get("/figures").text
    assert "2 of 9 needs solved" in english
    assert "Red tea house council" in english
    assert "Hangzhou Road Grid 3" in english


def test_figures_page_renders_without_data(client: TestClient[Litestar]) -> None:
    response = client.get("/figures")
    assert response.status_code == 200
    assert "0%" in response.text


def test_a_merged_duplicate_is_counted_once(session_factory: sessionmaker[Session], street: StreetScenario) -> None:
    with session_factory() as session:
        before = street_figures(session).needs_collected
        make_need(session, street.grids[0], NeedStatus.REJECTED, duplicate_of_id=street.needs["pavilion"].id)
        make_need(session, street.grids[0], NeedStatus.REJECTED, status_reason="不属于本街道")
        session.commit()
        assert street_figures(session).needs_collected == before + 1
