"""iCalendar feeds built with the ``icalendar`` library: events and deadlines as all-day entries,
a visit with a class period as a timed one in Chicago time (with its VTIMEZONE).

Pure: takes plain ``Entry`` values, returns bytes. UIDs are stable (kind, id and date), so a
calendar app that subscribes to a feed updates entries instead of duplicating them.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

PRODID = "-//Chicago Public Schools//cpspartners//EN"
CHICAGO = ZoneInfo("America/Chicago")
# A timed entry with a start and no end lasts this long (a class period).
DEFAULT_LENGTH = timedelta(hours=1)


@dataclass(frozen=True)
class Entry:
    """One all-day calendar entry, or several days from ``starts`` to ``ends``; with
    ``start_time`` (Chicago wall-clock time), a timed entry on ``starts``."""

    uid: str
    summary: str
    starts: date
    ends: date = None  # inclusive last day; None = one day
    description: str = ""
    url: str = ""
    location: str = ""
    start_time: time | None = None
    end_time: time | None = None


def _event(entry, stamp):
    """One ``Entry`` as a VEVENT stamped ``stamp``."""
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("summary", entry.summary)
    if entry.start_time is not None:
        starts = datetime.combine(entry.starts, entry.start_time, tzinfo=CHICAGO)
        ends = datetime.combine(entry.starts, entry.end_time, tzinfo=CHICAGO) if entry.end_time else None
        event.add("dtstart", starts)
        event.add("dtend", ends if ends and ends > starts else starts + DEFAULT_LENGTH)
    else:
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
    timed = [entry.starts for entry in entries if entry.start_time is not None]
    for entry in entries:
        calendar.add_component(_event(entry, stamp))
    if timed:
        # A VTIMEZONE for the TZID used, so any client reads the times right; its rules only for
        # the years the entries span, not from 1970.
        calendar.add_missing_timezones(
            first_date=date(min(timed).year, 1, 1), last_date=date(max(timed).year + 1, 12, 31)
        )
    return calendar.to_ical()
