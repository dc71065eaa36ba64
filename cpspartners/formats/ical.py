"""iCalendar feeds built with the ``icalendar`` library: events and deadlines as all-day entries.

Pure: takes plain ``Entry`` values, returns bytes. UIDs are stable (kind, id and date), so a
calendar app that subscribes to a feed updates entries instead of duplicating them.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event

PRODID = "-//Chicago Public Schools//cpspartners//EN"


@dataclass(frozen=True)
class Entry:
    """One all-day calendar entry, or several days from ``starts`` to ``ends``."""

    uid: str
    summary: str
    starts: date
    ends: date = None  # inclusive last day; None = one day
    description: str = ""
    url: str = ""
    location: str = ""


def _event(entry, stamp):
    """One all-day ``Entry`` as a VEVENT stamped ``stamp``."""
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("summary", entry.summary)
    event.add("dtstart", entry.starts)
    # DTEND of an all-day event is exclusive: the day after the last day.
    event.add("dtend", (entry.ends or entry.starts) + timedelta(days=1))
    if entry.description:
        event.add("description", entry.description)
    if entry.url:
        event.add("url", entry.url)
    if entry.location:
        event.add("location", entry.location)
    return event


def feed(name, entries, now=None):
    """An iCalendar document (bytes) named ``name`` holding ``entries``."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = now or datetime.now(UTC)
    for entry in entries:
        calendar.add_component(_event(entry, stamp))
    return calendar.to_ical()
