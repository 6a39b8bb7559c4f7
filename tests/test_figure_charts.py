"""Charts and the grid map of the figures, and the leader's screen: the drawings say what the numbers say.

The layouts are pure functions (checked on their own first); the pages are then checked against needs
built here: 3 needs collected in a month and 2 of them solved draw bars of 3 and 2 and a rate of 67%.
"""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import Session

from marketplace.accounts.models import Role
from marketplace.dashboard.charts import BarInput, Series, TrendMonth, bar_chart, nice_ceiling, ticks, trend_chart
from marketplace.dashboard.grid_map import GridPoint, grid_map, legend, open_class
from marketplace.dashboard.trend import needs_by_month
from marketplace.needs.models import NeedStatus
from marketplace.street_clock import street_today
from marketplace.vocabulary import IntakeChannel
from tests.factories import make_community, make_grid, make_need, make_station, make_street
from tests.security_helpers import reading, sign_in_as

TALLIES = [Series("series-collected", "Collected"), Series("series-solved", "Solved")]


# The layouts, on their own


def test_bars_share_one_nice_scale_and_every_row_writes_its_values() -> None:
    chart = bar_chart(
        [BarInput("Grid walk", [40, 10], "10 / 40 · 25%"), BarInput("Hotline", [20, 20], "20 / 20 · 100%")],
        TALLIES,
        width=400,
    )
    assert nice_ceiling(40) == 50 and nice_ceiling(0) == 1 and nice_ceiling(7) == 10
    assert ticks(25) == [0, 5, 10, 15, 20, 25] and ticks(100) == [0, 25, 50, 75, 100] and ticks(2) == [0, 1, 2]
    walk, hotline = chart.rows
    assert walk.bars[0].width == pytest.approx(chart.plot_width * 40 / 50)
    assert walk.bars[1].width == pytest.approx(chart.plot_width * 10 / 50)
    assert hotline.bars[0].width == pytest.approx(hotline.bars[1].width)
    assert walk.bars[1].height < walk.bars[0].height  # solved is drawn inside collected
    assert [row.value_text for row in chart.rows] == ["10 / 40 · 25%", "20 / 20 · 100%"]
    assert [tick.label for tick in chart.ticks] == ["0", "10", "20", "30", "40", "50"]
    assert chart.rows[0].value_x > walk.bars[0].x + walk.bars[0].width  # the text follows the bar


def test_a_long_label_is_shortened_on_the_chart_and_kept_whole_for_its_tooltip() -> None:
    label = "Party-masses e-home platform and a great deal more"
    chart = bar_chart([BarInput(label, [3], "3")], [TALLIES[0]], width=300)
    assert chart.rows[0].label.endswith("…") and chart.rows[0].full_label == label


def test_the_trend_draws_collected_and_solved_and_the_months_rate_on_a_second_axis() -> None:
    months = [
        TrendMonth("2026-05", "May", 0, 0),
        TrendMonth("2026-06", "Jun", 3, 2),
        TrendMonth("2026-07", "Jul", 4, 4),
    ]
    chart = trend_chart(months, TALLIES, width=600, height=300)
    empty, june, july = chart.columns
    collected, solved = june.bars
    assert (collected.value, solved.value) == (3, 2)
    assert collected.height == pytest.approx(3 / 2 * solved.height)
    assert [text for _, _, text in june.labels] == ["3", "2"]
    assert (empty.rate_text, june.rate_text, july.rate_text) == ("–", "67%", "100%")
    # The rate's axis runs from 0% at the bottom to 100% at the top; an empty month breaks the line.
    two_thirds_up = chart.plot_bottom - (chart.plot_bottom - chart.plot_top) * 2 / 3
    assert chart.line == [[(june.center, pytest.approx(two_thirds_up)), (july.center, pytest.approx(chart.plot_top))]]
    assert [tick.label for tick in chart.rate_ticks] == ["0%", "25%", "50%", "75%", "100%"]
    assert empty.year == "2026" and june.year == ""


def test_open_needs_fall_into_sequential_classes_up_to_the_busiest_grid() -> None:
    assert [open_class(n, 8) for n in (0, 1, 2, 3, 4, 5, 8)] == [0, 1, 1, 2, 2, 3, 4]
    assert open_class(3, 0) == 0
    assert [(step.css, step.label) for step in legend(8)] == [
        ("map-open-0", "0"),
        ("map-open-1", "1–2"),
        ("map-open-2", "3–4"),
        ("map-open-3", "5–6"),
        ("map-open-4", "7–8"),
    ]
    assert [step.label for step in legend(1)] == ["0", "1"]


def _points(coordinates: list[tuple[float, float]]) -> list[GridPoint]:
    return [
        GridPoint(
            grid_id=i,
            label=f"G{i}",
            full_name=f"Grid {i}",
            latitude=lat,
            longitude=lon,
            open_needs=i,
            has_station=i % 2 == 0,
            href=f"/?grid={i}",
        )
        for i, (lat, lon) in enumerate(coordinates, 1)
    ]


def _inside(x: float, y: float, path: str) -> bool:
    corners = [tuple(map(float, pair.split())) for pair in re.findall(r"[ML]([-\d.]+ [-\d.]+)", path)]
    inside = False
    for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            inside = not inside
    return inside


@pytest.mark.parametrize(
    "coordinates",
    [
        [(36.11, 120.34)],
        [(36.11, 120.34), (36.12, 120.35)],
        [(36.10, 120.34), (36.11, 120.34), (36.12, 120.34)],  # in a line
        [(36.10 + (i % 5) / 500, 120.34 + (i // 5) / 400) for i in range(21)],
    ],
    ids=["one grid", "two grids", "three in a line", "21 grids"],
)
def test_the_map_has_one_cell_per_grid_around_its_point(coordinates: list[tuple[float, float]]) -> None:
    drawn = grid_map(_points(coordinates), width=600)
    assert drawn is not None
    assert len(drawn.cells) == len(coordinates)
    for cell in drawn.cells:
        assert cell.path.startswith("M") and cell.path.endswith("Z")
        assert _inside(cell.x, cell.y, cell.path), cell.grid_id
        assert 0 <= cell.x <= drawn.width and 0 <= cell.y <= drawn.height
        assert bool(cell.station_mark) == cell.has_station
    assert grid_map([]) is None


def test_grids_at_the_same_place_still_get_a_cell_each() -> None:
    drawn = grid_map(_points([(36.11, 120.34), (36.11, 120.34), (36.12, 120.35)]))
    assert drawn is not None and len(drawn.cells) == 3 and all(cell.path for cell in drawn.cells)


# The figures built here, on the pages


def _month_start(today: Any) -> datetime:
    """Noon (UTC) on the first day of the street's current month: inside that month on the street's clock."""
    return datetime(today.year, today.month, 1, 4, tzinfo=UTC)


@pytest.fixture
def street(session: Session) -> dict[str, Any]:
    """One street of three grids (two with a service station): 3 needs collected this month, 2 solved;
    open needs 4, 1 and 0 across the grids. Another street's needs never show."""
    today = street_today()
    this_month = _month_start(today)
    street = make_street(session, code="hudao-charts")
    community = make_community(session, street, name="湖岛社区", name_en="Hudao Community")
    grids = [
        make_grid(
            session,
            community,
            n,
            name=f"湖岛社区第{n}网格",
            name_en=f"Hudao Grid {n}",
            latitude=36.11 + n / 300,
            longitude=120.34 + (n % 2) / 200,
        )
        for n in (1, 2, 3)
    ]
    make_station(session, grids[0])
    make_station(session, grids[1])
    # This month: 3 collected (2 solved, 1 open), plus a merged duplicate that is not counted again.
    solved = [make_need(session, grids[2], NeedStatus.VERIFIED, created_at=this_month) for _ in range(2)]
    make_need(session, grids[0], NeedStatus.PUBLISHED, created_at=this_month, channel=IntakeChannel.HOTLINE_12345)
    make_need(session, grids[0], NeedStatus.REJECTED, created_at=this_month, duplicate_of_id=solved[0].id)
    # Earlier: open needs that make grid 1 the busiest (4 open) and grid 2 have one.
    earlier = this_month - timedelta(days=40)
    for _ in range(3):
        make_need(session, grids[0], NeedStatus.IN_PROGRESS, created_at=earlier)
    make_need(session, grids[1], NeedStatus.MATCHED, created_at=earlier, title="二网格的需求")
    other = make_street(session, code="other-charts", name="别的街道", name_en="Other Street")
    far = make_grid(session, make_community(session, other), 1, latitude=30.0, longitude=110.0)
    make_need(session, far, NeedStatus.COMPLETED, created_at=this_month)
    session.commit()
    return {"street": street, "grids": grids, "other": other, "today": today}


def test_needs_by_month_counts_each_need_in_the_month_it_was_collected(
    session: Session, street: dict[str, Any]
) -> None:
    today = street["today"]
    with reading(session) as db:
        months = needs_by_month(db, street["street"].id, today)
        everywhere = needs_by_month(db, None, today)
    assert len(months) == 12 and months[-1].month == f"{today.year:04d}-{today.month:02d}"
    assert (months[-1].collected, months[-1].solved) == (3, 2)
    assert months[-1].completion_rate == pytest.approx(2 / 3)
    assert sum(m.collected for m in months) == 7
    assert (everywhere[-1].collected, everywhere[-1].solved) == (4, 3)  # the other street's need too


def _svg(html: str, css: str) -> str:
    """The inline SVG whose class list holds ``css``."""
    match = re.search(rf'<svg class="chart [^"]*{css}[^"]*".*?</svg>', html, re.S)
    assert match, css
    return match.group(0)


def test_the_figures_page_draws_the_months_bars_and_rate_and_its_table_says_the_same(
    client: TestClient[Litestar], street: dict[str, Any]
) -> None:
    html = client.get("/figures?street=hudao-charts").text
    trend = _svg(html, "chart-trend")
    assert 'role="img"' in trend and 'aria-labelledby="trend-title trend-desc"' in trend
    assert "Collected: 3" in trend.replace("收集数", "Collected") or "收集数: 3" in trend
    assert ">67%<" in trend
    narrow = _svg(html, "chart-narrow")
    assert "2 / 3 · 66.7%" in narrow
    table = re.search(r"<caption>每月需求收集与解决</caption>.*?</table>", html, re.S)
    assert table
    this_month = street["today"].strftime("%Y-%m")
    row = re.search(rf"<th scope=\"row\">{this_month}</th>(.*?)</tr>", table.group(0), re.S)
    assert row and re.findall(r">([^<]+)</td>", row.group(1)) == ["3", "2", "66.7%"]


def test_the_map_has_a_cell_per_grid_linking_to_its_needs_coloured_by_its_open_needs(
    client: TestClient[Litestar], street: dict[str, Any]
) -> None:
    html = client.get("/figures?street=hudao-charts").text
    drawn = _svg(html, "grid-map chart-wide")
    cell = r'<a href="([^"]+)" class="map-cell-link"[^>]*>.*?<path class="map-cell (map-open-\d)"'
    cells = re.findall(cell, drawn, re.S)
    grid_ids = [grid.id for grid in street["grids"]]
    assert cells == [
        (f"/?grid={grid_ids[0]}&amp;street=hudao-charts", "map-open-4"),  # 4 open: the busiest
        (f"/?grid={grid_ids[1]}&amp;street=hudao-charts", "map-open-1"),  # 1 open
        (f"/?grid={grid_ids[2]}&amp;street=hudao-charts", "map-open-0"),  # 2 solved, none open
    ]
    assert drawn.count('class="map-station"') == 2  # two grids have a service station
    assert "网格服务站" in html and "未办结需求" in html
    board = client.get(f"/?grid={grid_ids[1]}&street=hudao-charts").text
    assert "二网格的需求" in board
    # The grids' table behind the map: every grid, its open needs and its station.
    link = rf'<a href="/\?grid={grid_ids[1]}&amp;street=hudao-charts">湖岛社区第2网格</a>'
    assert re.search(link + r'</th><td class="num">1</td>', html)


def test_the_charts_speak_english_too(client: TestClient[Litestar], street: dict[str, Any]) -> None:
    client.cookies.set("lang", "en")
    html = client.get("/figures?street=hudao-charts").text
    assert "Needs collected and solved, by month" in html and "Open needs on the map of the grids" in html
    assert "Hudao 1" in _svg(html, "grid-map chart-wide")  # the grid's short name
    assert "Show the numbers as a table" in html


def test_the_whole_deployment_of_several_streets_draws_no_map(
    client: TestClient[Litestar], street: dict[str, Any]
) -> None:
    html = client.get("/figures").text
    assert "grid-map" not in html and "在上方选择一个街道" in html
    assert "chart-trend" in html


NO_CDN = re.compile(r'(?:src|href)="(?:https?:)?//', re.I)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.STAFF])
def test_the_screen_shows_a_street_admin_or_staff_their_own_street(
    client: TestClient[Litestar], session: Session, street: dict[str, Any], role: Role
) -> None:
    sign_in_as(client, session, role)
    response = client.get("/figures/screen")
    assert response.status_code == 200
    html = response.text
    assert '<meta http-equiv="refresh" content="300">' in html
    assert "湖岛街道" in html and "chart-trend" in html and "grid-map" in html
    assert "site-header" not in html  # no site chrome on the screen
    assert not NO_CDN.search(html)
    assert client.get("/figures/screen?street=hudao-charts").status_code == 200
    assert client.get("/figures/screen?street=other-charts").status_code == 403
    assert client.get("/figures/screen?street=nowhere").status_code == 400
    assert "/figures/screen" in client.get("/figures").text  # the figures page links to it


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.PARTNER])
def test_the_screen_is_refused_to_other_roles(
    client: TestClient[Litestar], session: Session, street: dict[str, Any], role: Role
) -> None:
    sign_in_as(client, session, role)
    assert client.get("/figures/screen").status_code == 403
    assert "/figures/screen" not in client.get("/figures").text


def test_the_screen_asks_a_stranger_to_sign_in(client: TestClient[Litestar], street: dict[str, Any]) -> None:
    response = client.get("/figures/screen", follow_redirects=False)
    assert response.status_code in (302, 303, 401)
    assert "/figures/screen" not in client.get("/figures").text


def test_the_figures_page_loads_nothing_from_elsewhere(client: TestClient[Litestar], street: dict[str, Any]) -> None:
    html = client.get("/figures?street=hudao-charts").text
    assert not NO_CDN.search(html)
    assert '<link rel="stylesheet" href="/static/css/charts.css">' in html
    assert client.get("/static/css/charts.css").status_code == 200
    assert client.get("/static/css/screen.css").status_code == 200
