"""calendars."""
