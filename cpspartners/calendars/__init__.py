"""Calendars (/calendar): every iCalendar feed in one place: a school's deadlines and events, a
person's own deadlines and visits behind a signed link, and an accepted visit's .ics.
"""
