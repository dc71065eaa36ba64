"""The equity dashboard, its CSV, and the school calendar feed."""

import csv
import io
from datetime import date, timedelta

from icalendar import Calendar

from cpspartners.equity import figures


def test_area_counts_join_location_and_schools(app, make_opportunity, curie):
    area = curie.community_area_number
    make_opportunity(community_area_number=area, slug="located")
    make_opportunity(schools=[curie], slug="at-curie")  # counted through the school
    make_opportunity(schools=[curie], community_area_number=area, slug="both")  # counted once
    make_opportunity(community_area_number=area, status="draft", slug="draft")
    rows = {row.number: row for row in figures.area_rows()}
    assert rows[area].opportunities == 3
    assert rows[area].students > 0
    assert rows[area].per_100_students == round(300 / rows[area].students, 1)
    assert len(rows) == 77


def test_sorting_puts_least_served_first_and_ignores_unknown_keys():
    rows = [
        figures.AreaRow(1, "B", 100, 1, 5, 10, 1),
        figures.AreaRow(2, "A", 100, 1, 1, 90, 1),
        figures.AreaRow(3, "C", 0, 0, 0, None, None),
    ]
    assert [r.name for r in figures.sorted_rows(rows, "per_100")] == ["A", "B", "C"]
    assert [r.name for r in figures.sorted_rows(rows, "hardship")] == ["A", "B", "C"]
    assert [r.name for r in figures.sorted_rows(rows, "bogus")] == ["A", "B", "C"]


def test_dashboard_renders_map_table_and_charts_in_both_languages(client_as, make_opportunity):
    make_opportunity(community_area_number=31)
    client = client_as("specialist")
    page = client.get("/equity?sort=hardship")
    assert page.status_code == 200
    assert page.text.count("<path ") == 77
    assert "Lower West Side" in page.text and "<table" in page.text and 'role="img"' in page.text
    client.set_cookie("lang", "es")
    assert "Oportunidades por cada 100 estudiantes" in client.get("/equity").text
    client.set_cookie("lang", "en")
    assert client.get("/equity?sort=<script>").status_code == 200


def test_equity_csv_opens_in_spreadsheets(client_as):
    response = client_as("specialist").get("/equity/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "community_area_number" and len(rows) == 78


def test_school_calendar_has_deadlines_and_events(client, make_opportunity, curie):
    soon = date.today() + timedelta(days=10)
    make_opportunity(
        title="Robotics at Curie",
        schools=[curie],
        deadline=soon,
        starts_on=soon + timedelta(days=5),
        slug="robotics-curie",
    )
    make_opportunity(title="Old thing", schools=[curie], deadline=date.today() - timedelta(days=3), slug="old")
    response = client.get(f"/calendar/schools/{curie.id}.ics")
    assert response.mimetype == "text/calendar"
    events = Calendar.from_ical(response.data).walk("VEVENT")
    summaries = sorted(str(e["SUMMARY"]) for e in events)
    assert summaries == ["Deadline: Robotics at Curie", "Robotics at Curie"]
    assert client.get("/calendar/schools/1.ics").status_code == 404


def test_school_calendar_in_spanish(es_client, make_opportunity, curie):
    make_opportunity(title="Robotics", title_es="Robótica", schools=[curie], deadline=date.today() + timedelta(days=3))
    events = Calendar.from_ical(es_client.get(f"/calendar/schools/{curie.id}.ics").data).walk("VEVENT")
    assert str(events[0]["SUMMARY"]).endswith("Robótica")
