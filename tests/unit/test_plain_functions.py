"""Plain functions, tested without an app."""

import csv
import os

from werkzeug.datastructures import MultiDict

from cpspartners.directory.filters import parse_filters
from cpspartners.geo import bounding_box, miles_between
from cpspartners.taxonomy import CAREER_CLUSTERS, OPPORTUNITY_KINDS
from cpspartners.text import fold, parse_grade, slugify

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def test_fold_and_slugify_strip_accents():
    assert fold("Tecnología") == "tecnologia"
    assert slugify("Ciencias de la Salud: ¡Pilsen!") == "ciencias-de-la-salud-pilsen"
    assert slugify("!!!") == "item"
    assert len(slugify("a" * 500)) == 80


def test_parse_grade_handles_cps_labels():
    assert [parse_grade(v) for v in ("PK", "K", "7", "12", "", "x")] == [-1, 0, 7, 12, None, None]


def test_miles_between_known_points():
    # Curie HS to Lane Tech is about 8.7 miles as the crow flies.
    assert 8 < miles_between(41.8075, -87.7250, 41.9470, -87.6880) < 10
    assert miles_between(41.9, -87.6, 41.9, -87.6) == 0


def test_bounding_box_contains_the_circle():
    min_lat, max_lat, min_lon, max_lon = bounding_box(41.88, -87.63, 2)
    assert miles_between(41.88, -87.63, max_lat, -87.63) >= 1.99
    assert miles_between(41.88, -87.63, 41.88, max_lon) >= 1.99


def test_career_clusters_match_the_framework_file():
    with open(os.path.join(ROOT, "data/career_clusters_2024.csv"), newline="") as handle:
        framework = {(row["cluster_code"], row["cluster"]) for row in csv.DictReader(handle)}
    assert {(code, name) for code, name, _label in CAREER_CLUSTERS} == framework
    assert len(CAREER_CLUSTERS) == 14


def test_every_kind_has_demo_content():
    from cpspartners.seed.demo_content import KIND_TEMPLATES

    # The adult kinds come from the real family programmes (``flask seed programmes``), not the demo.
    assert set(KIND_TEMPLATES) == {code for code, _ in OPPORTUNITY_KINDS} - {"digital_literacy", "adult_upskilling"}
    assert len(OPPORTUNITY_KINDS) == 14


def test_parse_filters_keeps_good_values_and_notes_bad_ones():
    filters = parse_filters(MultiDict([("kind", "internship"), ("grade", "10"), ("area", "99"), ("open", "1")]))
    assert (filters.kind, filters.grade, filters.area, filters.open_only) == ("internship", 10, None, True)
    assert len(filters.notes) == 1
    assert filters.active() == {"kind": "internship", "grade": 10, "open": "1"}


def test_parse_filters_repeated_values_use_the_first():
    filters = parse_filters(MultiDict([("kind", "workshop"), ("kind", "internship")]))
    assert filters.kind == "workshop"
    assert filters.notes


def test_parse_filters_page_limits():
    assert parse_filters(MultiDict({"page": "3"})).page == 3
    for bad in ("0", "-2", "abc", "10001", "1e3"):
        filters = parse_filters(MultiDict({"page": bad}))
        assert filters.page == 1 and filters.notes


def test_clean_query_drops_control_characters_and_trims():
    from cpspartners.text import clean_query as search_text

    assert search_text("  ro\x00bo\x7ftics \t") == "robotics"
    assert search_text(None) == "" and search_text(["a"]) == ""
    assert search_text("x" * 500, 10) == "x" * 10
    assert search_text("Niños ‏עברית") == "Niños ‏עברית"
