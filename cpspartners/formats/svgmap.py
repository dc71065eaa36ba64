"""A choropleth of Chicago's community areas as accessible, self-contained SVG.

Pure: takes the GeoJSON dictionary and the values, returns markup. No tiles, no requests,
no JavaScript. Each area is a link-free ``<path>`` with a ``<title>`` (what a pointer or a
screen reader announces); the page that shows the map also shows the same figures as a table.
"""

from dataclasses import dataclass
from math import cos, radians

from markupsafe import Markup, escape

# Five steps of one blue, light to dark; the darkest still has a visible outline.
PALETTE = ("#eef4fb", "#c6dbef", "#85b4d9", "#3f83c0", "#0b4f8a")


NO_DATA = "#ffffff"


@dataclass(frozen=True)
class Shape:
    """One community area's outline."""

    number: int
    name: str
    rings: tuple  # tuple of rings, each a tuple of (lon, lat)


def shapes_from_geojson(geojson):
    """One ``Shape`` per community-area feature; Polygon and MultiPolygon both accepted."""
    shapes = []
    for feature in geojson.get("features", []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        polygons = geometry.get("coordinates") or []
        if geometry.get("type") == "Polygon":
            polygons = [polygons]
        rings = tuple(tuple((float(x), float(y)) for x, y, *_ in ring) for polygon in polygons for ring in polygon)
        shapes.append(Shape(int(props["community_area_number"]), str(props.get("community_area_name", "")), rings))
    return sorted(shapes, key=lambda shape: shape.number)


def bins_for(values, steps=len(PALETTE)):
    """Upper bounds of ``steps`` quantile bins over the known values (ties collapse)."""
    known = sorted(v for v in values if v is not None)
    if not known:
        return []
    bounds = []
    for step in range(1, steps + 1):
        bound = known[min(len(known) - 1, (len(known) * step) // steps - 1 if step < steps else len(known) - 1)]
        if not bounds or bound > bounds[-1]:
            bounds.append(bound)
    return bounds


def colour_for(value, bounds):
    """The palette colour of the bin ``value`` falls in; white when there is no value."""
    if value is None or not bounds:
        return NO_DATA
    for index, bound in enumerate(bounds):
        if value <= bound:
            # Spread the used bins over the whole palette so few bins still contrast.
            return PALETTE[round(index * (len(PALETTE) - 1) / max(1, len(bounds) - 1))]
    return PALETTE[-1]


class Projection:
    """Equirectangular, scaled by the cosine of the middle latitude: right for one city."""

    def __init__(self, shapes, width):
        points = [point for shape in shapes for ring in shape.rings for point in ring]
        self.min_lon = min(p[0] for p in points)
        self.max_lon = max(p[0] for p in points)
        self.min_lat = min(p[1] for p in points)
        self.max_lat = max(p[1] for p in points)
        self.kx = cos(radians((self.min_lat + self.max_lat) / 2))
        self.scale = width / ((self.max_lon - self.min_lon) * self.kx)
        self.width = width
        self.height = round((self.max_lat - self.min_lat) * self.scale)

    def __call__(self, lon, lat):
        """``(x, y)`` on the map, to a tenth of a unit."""
        return (round((lon - self.min_lon) * self.kx * self.scale, 1), round((self.max_lat - lat) * self.scale, 1))


def _farthest(points, first, last, tolerance):
    """The index between ``first`` and ``last`` farthest from the line joining them, if it is
    farther than ``tolerance``; else None."""
    (x1, y1), (x2, y2) = points[first], points[last]
    dx, dy = x2 - x1, y2 - y1
    length = (dx * dx + dy * dy) ** 0.5
    worst, worst_distance = None, tolerance
    for index in range(first + 1, last):
        px, py = points[index]
        if length:
            distance = abs(dy * px - dx * py + x2 * y1 - y2 * x1) / length
        else:
            distance = ((px - x1) ** 2 + (py - y1) ** 2) ** 0.5
        if distance > worst_distance:
            worst, worst_distance = index, distance
    return worst


def simplify(points, tolerance):
    """Ramer-Douglas-Peucker: drop points closer than ``tolerance`` to the simplified line.

    The city boundaries have tens of thousands of points; at map size most are invisible,
    and keeping them would make every dashboard page half a megabyte.
    """
    if len(points) < 3:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        worst = _farthest(points, first, last, tolerance)
        if worst is not None:
            keep[worst] = True
            stack.extend(((first, worst), (worst, last)))
    return [point for point, kept in zip(points, keep, strict=False) if kept]


def path_data(shape, project, tolerance=0.6):
    """SVG path commands for every ring, simplified to what shows at this size."""
    parts = []
    for ring in shape.rings:
        projected = simplify([project(lon, lat) for lon, lat in ring], tolerance)
        commands = []
        for x, y in projected:
            point = "%g,%g" % (round(x), round(y))
            if not commands or commands[-1] != point:
                commands.append(point)
        if len(commands) >= 3:
            parts.append("M" + "L".join(commands) + "Z")
    return "".join(parts)


# Marker shapes for a layer of places, by kind: told apart by shape, not only by colour.
MARKERS = {
    "library": '<circle cx="%(x)g" cy="%(y)g" r="3.2" fill="#ffffff" stroke="#1a1a1a" stroke-width="1.2">',
    "tech_centre": '<rect x="%(x0)g" y="%(y0)g" width="6" height="6" fill="#ffd23f" stroke="#1a1a1a" stroke-width="1">',
    # A polygon, not a path: the areas are the map's only paths.
    "park": '<polygon points="%(x)g,%(top)g %(right)g,%(bottom)g %(x0)g,%(bottom)g" fill="#2e8b57" stroke="#1a1a1a" '
    'stroke-width="0.8">',
}


def marker(kind, x, y, label):
    """One place on the map, its name as a tooltip."""
    spots = {"x": x, "y": y, "x0": x - 3, "y0": y - 3, "top": y - 3.5, "right": x + 3, "bottom": y + 2.5}
    tag = "circle" if kind == "library" else "rect" if kind == "tech_centre" else "polygon"
    return (MARKERS[kind] % spots) + "<title>%s</title></%s>" % (escape(label), tag)


def points_layer(points, project):
    """``points``: (lon, lat, kind, label) tuples, drawn over the areas in the given order."""
    if not points:
        return ""
    drawn = [marker(kind, *project(lon, lat), label) for lon, lat, kind, label in points if kind in MARKERS]
    return '<g class="places">' + "".join(drawn) + "</g>"


def choropleth(shapes, values, title, description, value_text, width=480, legend_title="", points=()):
    """The SVG map. ``values``: {area number: number or None}; ``value_text(number)`` formats one;
    ``points``: an optional layer of places over the areas (``points_layer``)."""
    project = Projection(shapes, width)
    bounds = bins_for(values.values())
    legend_height = 28 * (len(bounds) + 1) + 24
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" class="map" role="img" aria-labelledby="map-title map-desc" '
        'viewBox="0 0 %d %d">' % (width, project.height + legend_height),
        '<title id="map-title">%s</title><desc id="map-desc">%s</desc>' % (escape(title), escape(description)),
        '<g class="areas">',
    ]
    for shape in shapes:
        value = values.get(shape.number)
        label = "%s: %s" % (shape.name, value_text(value))
        out.append(
            '<path d="%s" fill="%s" stroke="#1a1a1a" stroke-width="0.6"><title>%s</title></path>'
            % (path_data(shape, project), colour_for(value, bounds), escape(label))
        )
    out.append("</g>")
    out.append(points_layer(points, project))
    out.append(legend(bounds, project.height + 12, value_text, legend_title))
    out.append("</svg>")
    return Markup("".join(out))


def _legend_row(y, fill, text):
    """One swatch of the key at height ``y``, and the words beside it."""
    return (
        '<rect x="0" y="%d" width="22" height="18" fill="%s" stroke="#1a1a1a" stroke-width="0.6"/>'
        '<text x="30" y="%d" font-size="14">%s</text>' % (y, fill, y + 14, escape(text))
    )


def _range_text(low, bound, value_text):
    """ "≤ bound" for the first bin, "low – bound" for the others."""
    if low is None:
        return "\u2264 %s" % value_text(bound)
    return "%s \u2013 %s" % (value_text(low), value_text(bound))


def legend(bounds, top, value_text, legend_title):
    """The colour key below the map: one row per bin, then the colour of areas with no figure."""
    rows = [
        '<g class="legend" aria-hidden="true"><text x="0" y="%d" font-size="14">%s</text>'
        % (top + 12, escape(legend_title))
    ]
    lows = [None, *bounds[:-1]]
    for index, (low, bound) in enumerate(zip(lows, bounds, strict=False)):
        text = _range_text(low, bound, value_text)
        rows.append(_legend_row(top + 24 + index * 28, colour_for(bound, bounds), text))
    rows.append(_legend_row(top + 24 + len(bounds) * 28, NO_DATA, value_text(None)) + "</g>")
    return "".join(rows)
