"""iCalendar feeds parse back with the same events."""

from datetime import UTC, date, datetime

from icalendar import Calendar

from cpspartners.formats.ical import Entry, feed


def test_feed_round_trips_all_day_events_with_exclusive_end():
    data = feed(
        "Curie HS",
        [
            Entry("deadline-1@cpspartners", "Deadline: Robotics, día de campo", date(2026, 12, 1), url="http://x/o/1"),
            Entry(
                "event-1@cpspartners", "Robotics camp", date(2026, 12, 5), date(2026, 12, 7), location="Pilsen; 1, 2"
            ),
        ],
        now=datetime(2026, 11, 23, tzinfo=UTC),
    )
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert str(calendar["X-WR-CALNAME"]) == "Curie HS"
    assert [str(e["SUMMARY"]) for e in events] == ["Deadline: Robotics, día de campo", "Robotics camp"]
    assert events[1]["DTSTART"].dt == date(2026, 12, 5)
    assert events[1]["DTEND"].dt == date(2026, 12, 8)
    assert str(events[1]["LOCATION"]) == "Pilsen; 1, 2"
    assert events[0]["UID"] == "deadline-1@cpspartners"


def test_empty_feed_is_still_a_valid_calendar():
    calendar = Calendar.from_ical(feed("Empty", []))
    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"
