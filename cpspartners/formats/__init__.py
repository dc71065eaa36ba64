"""Pure helpers for the formats we read and write: CSV (spreadsheets), SVG maps and charts, and
iCalendar. No Flask, no database: plain functions tested without an app.
"""
