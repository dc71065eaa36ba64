"""The map and chart renderers: accessible, escaped, small."""

import json
import os

from cpspartners.formats.charts import bar_chart, column_chart
from cpspartners.formats.svgmap import NO_DATA, PALETTE, bins_for, choropleth, colour_for, shapes_from_geojson, simplify

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def chicago():
    with open(os.path.join(ROOT, "data/community_areas.geojson")) as handle:
        return shapes_from_geojson(json.load(handle))


def test_map_has_every_area_with_a_title_and_stays_small():
    shapes = chicago()
    svg = choropleth(shapes, {s.number: float(s.number) for s in shapes}, "Map <title>", "Desc & more", str)
    assert svg.count("<path ") == 77
    assert "<title>Rogers Park: 1.0</title>" in svg
    assert "Map &lt;title&gt;" in svg and "Desc &amp; more" in svg
    assert len(svg) < 60_000


def test_bins_and_colours():
    assert bins_for([None, None]) == []
    bounds = bins_for([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert bounds == [2, 4, 6, 8, 10]
    assert colour_for(1, bounds) == PALETTE[0] and colour_for(10, bounds) == PALETTE[-1]
    assert colour_for(None, bounds) == NO_DATA
    assert colour_for(5, [5]) == PALETTE[0]


def test_simplify_keeps_corners_and_drops_straight_line_points():
    line = [(0, 0), (1, 0.01), (2, 0), (2, 2), (0, 2)]
    assert simplify(line, 0.5) == [(0, 0), (2, 0), (2, 2), (0, 2)]


def test_charts_escape_labels_and_scale_bars():
    svg = bar_chart("By kind", "d", [("<b>A</b>", 10), ("B", 5)])
    assert "&lt;b&gt;A&lt;/b&gt;" in svg and "<b>" not in svg
    assert 'role="img"' in svg
    assert column_chart("Months", "d", [("01/26", 0), ("02/26", 3)]).count("<rect") == 2
