"""Insights for partnership specialists: where Chicago is served and where it is not."""
