"""Chart geometry for the figures: pure functions from numbers to what an inline SVG draws.

Nothing here queries or renders: a function takes plain rows and returns a layout (positions, sizes,
the text of every value label) that ``templates/dashboard/_charts.html`` writes out as SVG. Every bar
carries its value as text, so no chart is read by colour alone, and every chart has a table behind it.

Widths are the SVG's viewBox: text scales with it, so each chart is laid out for the width it is shown
at (a phone's column, or a desktop panel) and the font sizes below stay readable at that size.
"""

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

FONT = 14  # px in the viewBox of the bar charts; rows and bars are sized from the font
ROW = 2.4  # height of one row of a horizontal bar chart, in fonts
BAR = 1.4  # thickness of the wider bar of a row
INNER = 0.7  # thickness of the second series, drawn inside the first


def text_width(text: str, size: float = FONT) -> float:
    """An estimate of a label's width: a CJK character is one em, a Latin one a little over half."""
    wide = sum(1 for ch in text if unicodedata.east_asian_width(ch) in ("W", "F"))
    return (wide * 1.0 + (len(text) - wide) * 0.56) * size


def shorten(text: str, width: float, size: float = FONT) -> str:
    """The label cut to fit ``width`` with an ellipsis (the full one is in the table and the tooltip)."""
    if text_width(text, size) <= width:
        return text
    while text and text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def nice_ceiling(value: float) -> float:
    """The axis's top: 1, 2, 2.5 or 5 times a power of ten, at least ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return float(step * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def ticks(top: float, count: int | None = None) -> list[float]:
    """Evenly spaced values from 0 to ``top`` at round steps: 25 → 0, 5, …, 25; 20 → 0, 5, …, 20; 2 → 0, 1, 2."""
    if count is None:
        mantissa = top / 10 ** math.floor(math.log10(top)) if top > 0 else 1
        count = 5 if mantissa in (2.5, 5) else 4
        if 1 <= top < count:
            count = int(top)  # whole steps for small counts: no "0.25 needs"
    return [top * i / count for i in range(count + 1)]


@dataclass
class Series:
    """One kind of bar in a chart: its CSS class (the colour) and its name in the legend."""

    css: str
    label: str


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    value: float
    title: str  # what a pointer shows over the bar: "Solved: 12"


@dataclass
class BarRow:
    label: str  # as drawn (maybe shortened)
    full_label: str
    y: float  # the row's vertical middle
    bars: list[Bar]
    value_text: str  # the values, written after the bars
    value_x: float
    href: str = ""


@dataclass
class AxisTick:
    position: float
    label: str


@dataclass
class BarChart:
    """Horizontal bars, one row per label, one or two series (the second drawn inside the first)."""

    width: float
    height: float
    label_x: float  # right edge of the labels
    plot_x: float
    plot_width: float
    plot_top: float
    plot_bottom: float
    rows: list[BarRow]
    ticks: list[AxisTick]
    series: list[Series]
    font: float = FONT


@dataclass
class BarInput:
    """One row's data: its label and one value per series, and the text written after the bars."""

    label: str
    values: list[float]
    value_text: str
    href: str = ""


def bar_chart(
    rows: list[BarInput],
    series: list[Series],
    *,
    width: float = 420,
    value_space: float = 0,
    format_tick: Callable[[float], str] | None = None,
    font: float = FONT,
) -> BarChart:
    """Horizontal bars on one scale; the first series is the wide bar, the second a thinner bar inside it.

    ``value_space``: the room after the longest bar for its value text (estimated when 0).
    """
    row_height = ROW * font
    longest_label = max((text_width(row.label, font) for row in rows), default=0)
    label_width = min(longest_label, width * 0.4) + 8
    if not value_space:
        value_space = max((text_width(row.value_text, font - 1) for row in rows), default=0) + 12
    plot_x = label_width + 6
    plot_width = max(width - plot_x - value_space, 40)
    top = nice_ceiling(max((max(row.values, default=0) for row in rows), default=0))
    plot_top = 6
    laid_out = []
    for index, row in enumerate(rows):
        middle = plot_top + row_height * index + row_height / 2
        bars = []
        for number, (value, kind) in enumerate(zip(row.values, series, strict=False)):
            thickness = (BAR if number == 0 else INNER) * font
            length = plot_width * value / top if top else 0
            bars.append(
                Bar(
                    x=plot_x,
                    y=middle - thickness / 2,
                    width=max(length, 1.5 if value else 0),
                    height=thickness,
                    css=kind.css,
                    value=value,
                    title=f"{kind.label}: {format_plain(value)}",
                )
            )
        end = max((bar.x + bar.width for bar in bars), default=plot_x)
        laid_out.append(
            BarRow(
                label=shorten(row.label, label_width - 8, font),
                full_label=row.label,
                y=middle,
                bars=bars,
                value_text=row.value_text,
                value_x=end + 6,
                href=row.href,
            )
        )
    plot_bottom = plot_top + row_height * len(rows)
    fmt = format_tick or format_plain
    return BarChart(
        width=width,
        height=plot_bottom + font * 1.9,
        label_x=label_width,
        plot_x=plot_x,
        plot_width=plot_width,
        plot_top=plot_top,
        plot_bottom=plot_bottom,
        rows=laid_out,
        ticks=[AxisTick(plot_x + plot_width * value / top, fmt(value)) for value in ticks(top)],
        series=series,
        font=font,
    )


def format_plain(value: float) -> str:
    """12 → "12", 12.5 → "12.5" (for titles and axes; the tables use the locale's number format)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def format_rate(rate: float) -> str:
    return f"{rate * 100:.0f}%"


@dataclass
class TrendMonth:
    """One month of the trend: needs collected in it and how many of them are solved by now."""

    month: str  # "2026-06"
    label: str  # "6月" / "Jun"
    collected: int
    solved: int

    @property
    def rate(self) -> float | None:
        return self.solved / self.collected if self.collected else None


@dataclass
class TrendColumn:
    label: str
    center: float
    bars: list[Bar]
    labels: list[tuple[float, float, str]]  # (x, y, text) of the values above the bars
    rate_text: str
    year: str = ""  # written under the month when the year changes (and under the first month)


@dataclass
class TrendChart:
    """Columns of needs collected and solved per month, and the completion rate as a line on a second axis."""

    width: float
    height: float
    plot_left: float
    plot_right: float
    plot_top: float
    plot_bottom: float
    columns: list[TrendColumn]
    count_ticks: list[AxisTick]
    rate_ticks: list[AxisTick]
    line: list[list[tuple[float, float]]]  # runs of points (a month with no needs breaks the line)
    points: list[tuple[float, float, str]] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    font: float = 13


def trend_chart(
    months: list[TrendMonth], series: list[Series], *, width: float = 760, height: float = 320, font: float = 13
) -> TrendChart:
    """The wide trend chart: two columns a month on a count axis (left) and the rate (right, 0–100%)."""
    left, right, top, bottom = font * 3.5, width - font * 3.8, font * 1.7, height - font * 4.8
    slot = (right - left) / max(len(months), 1)
    column = slot * 0.34
    scale_top = nice_ceiling(max((m.collected for m in months), default=0))
    columns, runs, run, points = [], [], [], []
    previous_year = ""
    for index, month in enumerate(months):
        center = left + slot * (index + 0.5)
        bars, labels = [], []
        for offset, value, kind in ((-column, month.collected, series[0]), (0.0, month.solved, series[1])):
            height_of = (bottom - top) * value / scale_top
            x = center + offset
            bars.append(Bar(x, bottom - height_of, column, height_of, kind.css, value, f"{kind.label}: {value}"))
            labels.append((x + column / 2, bottom - height_of - 4, format_plain(value)))
        rate = month.rate
        if rate is None:
            if run:
                runs.append(run)
            run = []
        else:
            point = (center, bottom - (bottom - top) * rate)
            run.append(point)
            points.append((*point, format_rate(rate)))
        year = month.month[:4]
        columns.append(
            TrendColumn(
                label=month.label,
                center=center,
                bars=bars,
                labels=labels,
                rate_text=format_rate(rate) if rate is not None else "–",
                year=year if year != previous_year else "",
            )
        )
        previous_year = year
    if run:
        runs.append(run)
    return TrendChart(
        width=width,
        height=height,
        plot_left=left,
        plot_right=right,
        plot_top=top,
        plot_bottom=bottom,
        columns=columns,
        count_ticks=[
            AxisTick(bottom - (bottom - top) * value / scale_top, format_plain(value)) for value in ticks(scale_top)
        ],
        rate_ticks=[AxisTick(bottom - (bottom - top) * share, format_rate(share)) for share in ticks(1.0, 4)],
        line=runs,
        points=points,
        series=series,
        font=font,
    )
