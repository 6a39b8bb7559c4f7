"""A map of a street's grids drawn from their coordinates: one cell per grid, coloured by its open needs.

The grids are points (latitude, longitude); the street keeps no boundaries. Each grid's cell is its
Voronoi region (the places nearer to its point than to any other grid's), clipped to the street's
outline: the convex hull of the points, pushed outwards a little so the outer grids get room. That is
what a grid is in practice (the households nearest its station), and it works for any street.

Pure geometry here; ``map_service`` gathers the grids and their counts.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError, Voronoi

from marketplace.dashboard.charts import text_width

Point = tuple[float, float]

# Sequential classes of open needs: 0 is none, 1 to 4 up to the busiest grid (see ``open_class``).
CLASSES = 5


@dataclass
class GridPoint:
    """What the map needs of one grid."""

    grid_id: int
    label: str  # the grid's short name
    full_name: str
    latitude: float
    longitude: float
    open_needs: int
    has_station: bool
    station_name: str = ""
    href: str = ""


@dataclass
class MapCell:
    grid_id: int
    label: str
    full_name: str
    path: str  # SVG path data of the cell
    x: float  # the grid's point, where its label and station go
    y: float
    open_needs: int
    css: str  # map-open-0 … map-open-4
    dark: bool  # the fill is dark: the label is written in white
    has_station: bool
    station_name: str
    href: str
    label_x: float = 0.0  # where the label goes: the cell's middle, moved off its neighbours' labels
    label_y: float = 0.0
    name_x: float = 0.0  # the name's middle: right of the label's middle when a star goes before it
    station_mark: str = ""  # path data of the station's star, before the grid's name


@dataclass
class LegendStep:
    css: str
    label: str  # "0", "1–3", "4–6" …


@dataclass
class GridMap:
    width: float
    height: float
    outline: str  # path data of the street's outline
    cells: list[MapCell]
    legend: list[LegendStep]
    busiest: int
    font: float = 13  # the grids' names; their counts are half as large again
    legend_star: str = ""  # the station's mark in the legend (a 20 × 20 box around 0, 0)


def open_class(open_needs: int, busiest: int) -> int:
    """0 for a grid with no open need; else 1 to 4 in equal steps up to the busiest grid."""
    if open_needs <= 0 or busiest <= 0:
        return 0
    return min(CLASSES - 1, max(1, math.ceil(open_needs * (CLASSES - 1) / busiest)))


def legend(busiest: int) -> list[LegendStep]:
    """The range of open needs each class holds (the classes no count falls into are left out)."""
    steps = [LegendStep("map-open-0", "0")]
    low = 1
    for level in range(1, CLASSES):
        high = busiest * level // (CLASSES - 1)
        if high >= low:
            steps.append(LegendStep(f"map-open-{level}", str(low) if high == low else f"{low}–{high}"))
            low = high + 1
    return steps


def project(points: list[tuple[float, float]], width: float, height: float, pad: float) -> tuple[list[Point], float]:
    """Latitude/longitude to page coordinates: equirectangular (a street is small), north up, fitted to
    the box with ``pad`` around, the same scale both ways. Returns the points and the scale (px per degree)."""
    mean_lat = sum(lat for lat, _ in points) / len(points)
    squeeze = math.cos(math.radians(mean_lat))  # a degree of longitude is shorter away from the equator
    xs = [lon * squeeze for _, lon in points]
    ys = [-lat for lat, _ in points]
    span_x = max(xs) - min(xs)
    span_y = max(ys) - min(ys)
    span = max(span_x / (width - 2 * pad), span_y / (height - 2 * pad), 1e-9)
    scale = 1 / span
    off_x = (width - span_x * scale) / 2
    off_y = (height - span_y * scale) / 2
    return [((x - min(xs)) * scale + off_x, (y - min(ys)) * scale + off_y) for x, y in zip(xs, ys, strict=True)], scale


def outline(points: list[Point], margin: float) -> list[Point]:
    """The street's outline: the hull of the points, each corner pushed ``margin`` away from the middle.
    With fewer than three points (or all in a line), a box around them."""
    array = np.array(points)
    try:
        if len(points) < 3:
            raise QhullError
        hull = [points[i] for i in ConvexHull(array).vertices]
    except QhullError:
        return _box(points, margin)
    cx, cy = array.mean(axis=0)
    pushed = []
    for x, y in hull:
        dx, dy = x - cx, y - cy
        length = math.hypot(dx, dy) or 1.0
        pushed.append((x + dx / length * margin, y + dy / length * margin))
    return pushed


def _box(points: list[Point], margin: float) -> list[Point]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    left, right, top, bottom = min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin
    return [(left, top), (right, top), (right, bottom), (left, bottom)]


def clip(polygon: list[Point], window: list[Point]) -> list[Point]:
    """Sutherland–Hodgman: ``polygon`` clipped to the convex ``window`` (both counter-clockwise or both not)."""
    orientation = _signed_area(window)
    result = polygon
    for i, edge_start in enumerate(window):
        edge_end = window[(i + 1) % len(window)]
        if not result:
            break
        source, result = result, []

        def inside(p: Point, a: Point = edge_start, b: Point = edge_end) -> bool:
            return ((b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])) * orientation >= 0

        for j, current in enumerate(source):
            previous = source[j - 1]
            if inside(current):
                if not inside(previous):
                    result.append(_crossing(previous, current, edge_start, edge_end))
                result.append(current)
            elif inside(previous):
                result.append(_crossing(previous, current, edge_start, edge_end))
    return result


def _signed_area(polygon: list[Point]) -> float:
    return sum(
        polygon[i][0] * polygon[(i + 1) % len(polygon)][1] - polygon[(i + 1) % len(polygon)][0] * polygon[i][1]
        for i in range(len(polygon))
    )


def _crossing(p: Point, q: Point, a: Point, b: Point) -> Point:
    """Where the segment p–q crosses the line a–b."""
    dx, dy = q[0] - p[0], q[1] - p[1]
    ex, ey = b[0] - a[0], b[1] - a[1]
    denominator = dx * ey - dy * ex
    if denominator == 0:
        return q
    t = ((a[0] - p[0]) * ey - (a[1] - p[1]) * ex) / denominator
    return (p[0] + t * dx, p[1] + t * dy)


def voronoi_cells(points: list[Point], window: list[Point]) -> list[list[Point]]:
    """Each point's Voronoi region clipped to ``window``. Four far-away points close every real region;
    points at the same place get the same cell (the first one's)."""
    distinct: dict[Point, int] = {}
    for point in points:
        distinct.setdefault((round(point[0], 3), round(point[1], 3)), len(distinct))
    unique = list(distinct)
    xs, ys = [p[0] for p in unique], [p[1] for p in unique]
    far = 10 * (max(max(xs) - min(xs), max(ys) - min(ys)) + 100)
    cx, cy = sum(xs) / len(xs), sum(ys) / len(ys)
    ghosts = [(cx - far, cy - far), (cx + far, cy - far), (cx + far, cy + far), (cx - far, cy + far)]
    diagram = Voronoi(np.array(unique + ghosts))
    regions = []
    for index in range(len(unique)):
        region = diagram.regions[diagram.point_region[index]]
        polygon = [tuple(diagram.vertices[v]) for v in region if v >= 0]
        polygon = _around(polygon)
        regions.append(clip(polygon, window))
    return [regions[distinct[(round(p[0], 3), round(p[1], 3))]] for p in points]


def _around(polygon: list[Point]) -> list[Point]:
    """The corners ordered by angle around their middle (qhull leaves them in no particular order)."""
    if not polygon:
        return polygon
    cx = sum(p[0] for p in polygon) / len(polygon)
    cy = sum(p[1] for p in polygon) / len(polygon)
    return sorted(polygon, key=lambda p: math.atan2(p[1] - cy, p[0] - cx))


def star(x: float, y: float, size: float) -> str:
    """Path data of a five-pointed star of radius ``size`` centred at (x, y): a service station's mark."""
    corners = []
    for i in range(10):
        angle = -math.pi / 2 + i * math.pi / 5
        radius = size if i % 2 == 0 else size * 0.45
        corners.append((x + radius * math.cos(angle), y + radius * math.sin(angle)))
    return path_data(corners)


def path_data(polygon: list[Point]) -> str:
    if not polygon:
        return ""
    head, *rest = polygon
    return f"M{head[0]:.1f} {head[1]:.1f}" + "".join(f"L{x:.1f} {y:.1f}" for x, y in rest) + "Z"


def aspect(points: list[tuple[float, float]]) -> float:
    """Height over width of the grids' spread as the projection draws it (1 for a single point)."""
    mean_lat = sum(lat for lat, _ in points) / len(points)
    span_x = (max(lon for _, lon in points) - min(lon for _, lon in points)) * math.cos(math.radians(mean_lat))
    span_y = max(lat for lat, _ in points) - min(lat for lat, _ in points)
    return span_y / span_x if span_x > 0 and span_y > 0 else 1.0


def centroid(polygon: list[Point], fallback: Point) -> Point:
    """The centre of mass of a polygon (its corners' mean for a degenerate one)."""
    area = _signed_area(polygon) / 2 if len(polygon) >= 3 else 0.0
    if abs(area) < 1e-6:
        return fallback
    cx = cy = 0.0
    for i, (x0, y0) in enumerate(polygon):
        x1, y1 = polygon[(i + 1) % len(polygon)]
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return (cx / (6 * area), cy / (6 * area))


def place_labels(anchors: list[Point], sizes: list[Point], width: float, height: float) -> list[Point]:
    """Label centres near their anchors that do not overlap: boxes that touch are pushed apart, a little
    at a time, and every label kept on the map. Deterministic (the same map every time)."""
    placed = [list(anchor) for anchor in anchors]
    for _ in range(60):
        moved = False
        for i in range(len(placed)):
            for j in range(i + 1, len(placed)):
                overlap_x = (sizes[i][0] + sizes[j][0]) / 2 + 2 - abs(placed[i][0] - placed[j][0])
                overlap_y = (sizes[i][1] + sizes[j][1]) / 2 + 1 - abs(placed[i][1] - placed[j][1])
                if overlap_x <= 0 or overlap_y <= 0:
                    continue
                moved = True
                # Move along the axis that needs less, half each, away from each other.
                if overlap_y < overlap_x:
                    step = overlap_y / 2 + 0.5
                    direction = 1 if placed[j][1] >= placed[i][1] else -1
                    placed[i][1] -= step * direction
                    placed[j][1] += step * direction
                else:
                    step = overlap_x / 2 + 0.5
                    direction = 1 if placed[j][0] >= placed[i][0] else -1
                    placed[i][0] -= step * direction
                    placed[j][0] += step * direction
        placed = [
            [min(max(x, w / 2 + 2), width - w / 2 - 2), min(max(y, h / 2 + 2), height - h / 2 - 2)]
            for (x, y), (w, h) in zip(placed, sizes, strict=True)
        ]
        if not moved:
            break
    return [(x, y) for x, y in placed]


def grid_map(grids: list[GridPoint], *, width: float = 720, tallest: float = 1.1, font: float = 13) -> GridMap | None:
    """The map of these grids (None when there is none to draw): ``width`` wide, as tall as the street's
    shape asks, between half and ``tallest`` times the width."""
    if not grids:
        return None
    coordinates = [(g.latitude, g.longitude) for g in grids]
    height = round(width * min(max(aspect(coordinates), 0.5), tallest))
    pad = font * 3.5
    points, _ = project(coordinates, width, height, pad)
    window = _around(outline(points, pad * 0.8))
    window = [(min(max(x, 1.0), width - 1), min(max(y, 1.0), height - 1)) for x, y in window]
    cells = voronoi_cells(points, window)
    busiest = max(g.open_needs for g in grids)
    star_room = font * 1.1  # the station's star, before the name
    sizes = [
        (
            max(
                text_width(g.label, font) + (star_room if g.has_station else 0),
                text_width(str(g.open_needs), font * 1.5),
            ),
            font * 2.7,
        )
        for g in grids
    ]
    labels = place_labels(
        [centroid(cell, point) for cell, point in zip(cells, points, strict=True)], sizes, width, height
    )
    drawn = []
    for grid, point, cell, (lx, ly) in zip(grids, points, cells, labels, strict=True):
        level = open_class(grid.open_needs, busiest)
        name_width = text_width(grid.label, font)
        drawn.append(
            MapCell(
                grid_id=grid.grid_id,
                label=grid.label,
                full_name=grid.full_name,
                path=path_data(cell),
                x=point[0],
                y=point[1],
                open_needs=grid.open_needs,
                css=f"map-open-{level}",
                dark=level >= 3,
                has_station=grid.has_station,
                station_name=grid.station_name,
                href=grid.href,
                label_x=lx,
                label_y=ly,
                name_x=lx + (star_room / 2 if grid.has_station else 0),
                station_mark=star(lx - name_width / 2, ly - font * 0.85, font * 0.5) if grid.has_station else "",
            )
        )
    return GridMap(
        width=width,
        height=height,
        outline=path_data(window),
        cells=drawn,
        legend=legend(busiest),
        busiest=busiest,
        font=font,
        legend_star=star(0, 0, 9),
    )
