"""Recommendations with their reasons, profiles, saved listings and "not interested"."""
