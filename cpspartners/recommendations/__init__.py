"""Recommendations (/for-you): a student's or teacher's suggestions with the reasons behind them.

``ranking`` is pure (frozen records in, scores and reasons out); ``candidates`` turns database rows
into those records; ``views`` is the page, saved listings and "not interested".
"""
