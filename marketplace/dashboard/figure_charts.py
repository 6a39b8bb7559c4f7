"""The figures as charts: the layouts of /figures and /figures/screen from the street's figures.

Two more queries than the figures themselves (needs by month, the grids with their stations); the rest is
laid out from ``StreetFigures``. Labels are in the reader's language, so the layouts are built per request.
"""

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from babel.dates import format_date
from sqlmodel import Session

from marketplace.dashboard.charts import (
    BarChart,
    BarInput,
    Series,
    TrendChart,
    TrendMonth,
    bar_chart,
    trend_chart,
)
from marketplace.dashboard.figures import CategoryTally, ChannelTally, StreetFigures
from marketplace.dashboard.grid_map import GridMap, GridPoint, grid_map
from marketplace.dashboard.trend import needs_by_month
from marketplace.i18n import current_locale
from marketplace.i18n import gettext as _
from marketplace.i18n.numbers import counted
from marketplace.places.services import GridInfo, StreetRef, list_grids
from marketplace.web import format_number, format_share

NARROW = 360  # a phone's column (the charts are drawn again for it, so their text stays readable)
PANEL = 380  # a panel: a phone's width, or half a desktop page (where CSS holds it to 30rem)


@dataclass(frozen=True)
class Sizes:
    """The viewBox widths and fonts the charts are laid out for: the page's, or the screen's (bigger type
    for the same room: read from across a room)."""

    trend_width: float = 760
    trend_height: float = 320
    trend_font: float = 13
    panel_width: float = PANEL
    panel_font: float = 13
    map_width: float = 720
    map_font: float = 13
    map_tallest: float = 1.1


PAGE = Sizes()
# The screen's panels are wide and short (a third of 1080 px high): charts as wide, with type that reads at
# about 20 px there.
SCREEN = Sizes(
    trend_width=900,
    trend_height=300,
    trend_font=18,
    panel_width=900,
    panel_font=19,
    map_width=540,
    map_font=16,
    map_tallest=1.4,
)


@dataclass
class FigureCharts:
    months: list[TrendMonth]
    trend: TrendChart
    trend_narrow: BarChart
    channels: BarChart
    categories: BarChart
    days: BarChart | None  # None until a need is solved
    partners: BarChart | None
    hours: BarChart
    grid_map: GridMap | None  # None for the whole deployment of several streets
    grid_map_narrow: GridMap | None  # the same for a phone: taller, with smaller names
    grids: list[GridPoint]


def figure_charts(
    session: Session,
    figures: StreetFigures,
    street: StreetRef | None,
    today: date,
    *,
    map_street: StreetRef | None,
    sizes: Sizes = PAGE,
) -> FigureCharts:
    """Every chart of the figures page. ``map_street``: the street whose grids the map draws (None: no map)."""
    tallies = _tally_series()
    months = [
        TrendMonth(month=m.month, label=month_label(m.month), collected=m.collected, solved=m.solved)
        for m in needs_by_month(session, None if street is None else street.id, today)
    ]
    grids = street_grids(session, figures, map_street) if map_street is not None else []
    return FigureCharts(
        months=months,
        trend=trend_chart(months, tallies, width=sizes.trend_width, height=sizes.trend_height, font=sizes.trend_font),
        trend_narrow=bar_chart(
            [BarInput(m.label, [m.collected, m.solved], _solved_of(m.solved, m.collected)) for m in months],
            tallies,
            width=NARROW,
        ),
        channels=_tally_chart(figures.by_channel, tallies, sizes),
        categories=_tally_chart(figures.by_category, tallies, sizes),
        days=_days_chart(figures),
        partners=_partners_chart(figures),
        hours=bar_chart(
            [
                BarInput(
                    month_label(m.month, with_year=True),
                    [m.hours],
                    _("%(hours)s h") % {"hours": format_number(m.hours)},
                )
                for m in figures.hours.by_month
            ],
            [Series("series-hours", _("Hours"))],
            width=PANEL,
        ),
        grid_map=grid_map(grids, width=sizes.map_width, tallest=sizes.map_tallest, font=sizes.map_font)
        if grids
        else None,
        grid_map_narrow=grid_map(grids, width=NARROW, tallest=1.3, font=11) if grids else None,
        grids=grids,
    )


def _tally_series() -> list[Series]:
    return [Series("series-collected", _("Collected")), Series("series-solved", _("Solved"))]


def _solved_of(solved: int, collected: int) -> str:
    """ "12 / 20 · 60%": solved of collected and the rate, written after the bars."""
    if not collected:
        return "0"
    return f"{format_number(solved)} / {format_number(collected)} · {format_share(solved / collected)}"


def _tally_chart(rows: list[CategoryTally] | list[ChannelTally], series: list[Series], sizes: Sizes) -> BarChart:
    return bar_chart(
        [BarInput(row.label, [row.collected, row.solved], _solved_of(row.solved, row.collected)) for row in rows],
        series,
        width=sizes.panel_width,
        font=sizes.panel_font,
    )


def _days_chart(figures: StreetFigures) -> BarChart | None:
    rows = [row for row in figures.by_category if row.average_days_to_close is not None]
    if not rows:
        return None
    return bar_chart(
        [
            BarInput(row.label, [row.average_days_to_close or 0], days_text(row.average_days_to_close or 0))
            for row in sorted(rows, key=lambda r: -(r.average_days_to_close or 0))
        ],
        [Series("series-days", _("Average days to close"))],
        width=PANEL,
    )


def days_text(days: float) -> str:
    return _("%(days)s d") % {"days": format_number(days)}


def _partners_chart(figures: StreetFigures) -> BarChart | None:
    if not figures.partners:
        return None
    return bar_chart(
        [
            BarInput(
                p.display_name(current_locale.get()),
                [p.projects_helped],
                counted("%(count)s project", "%(count)s projects", p.projects_helped, count=p.projects_helped),
            )
            for p in figures.partners
        ],
        [Series("series-partners", _("Projects helped"))],
        width=PANEL,
    )


def month_label(month: str, *, with_year: bool = False) -> str:
    """ "2026-06" → "6月" / "Jun" (with the year: "2026年6月" / "Jun 2026")."""
    year, number = int(month[:4]), int(month[5:7])
    pattern = "yMMM" if with_year else "MMM"
    return format_date(date(year, number, 1), format=_skeleton(pattern), locale=current_locale.get())


def _skeleton(pattern: str) -> str:
    # Babel takes patterns, not skeletons: the two this page needs, per locale.
    if current_locale.get() == "en":
        return "MMM y" if pattern == "yMMM" else "MMM"
    return "y年M月" if pattern == "yMMM" else "M月"


def street_grids(session: Session, figures: StreetFigures, street: StreetRef) -> list[GridPoint]:
    """The street's grids as the map draws them: open needs from the figures, stations from the places."""
    open_by_grid = {row.grid_id: row.open_needs for row in figures.by_grid}
    english = current_locale.get() == "en"
    return [
        GridPoint(
            grid_id=grid.id,
            label=short_name(grid, english=english),
            full_name=grid.name_en if english else grid.name,
            latitude=grid.latitude,
            longitude=grid.longitude,
            open_needs=open_by_grid.get(grid.id, 0),
            has_station=grid.service_station is not None,
            station_name=_station_name(grid, english=english),
            href="/?" + urlencode({"grid": grid.id, "street": street.code}),
        )
        for grid in list_grids(session, street.id)
    ]


def _station_name(grid: GridInfo, *, english: bool) -> str:
    station = grid.service_station
    if station is None:
        return ""
    return station.name_en if english else station.name


def short_name(grid: GridInfo, *, english: bool) -> str:
    """The community's name without "Community"/"社区" (in English its first word), and the grid's number:
    "杭州支路 1", "Hangzhou 1" (the full name is in the cell's tooltip and the table)."""
    if english:
        words = grid.community.name_en.removesuffix(" Community").split()
        community = words[0] if words else ""
    else:
        community = grid.community.name.removesuffix("社区").strip()
    return f"{community} {grid.number}" if community else str(grid.number)
