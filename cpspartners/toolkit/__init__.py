"""The specialists' toolkit: pure pieces (maps, spreadsheets, calendars) used by its pages and commands."""
