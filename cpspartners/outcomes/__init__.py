"""Outcomes (/outcomes): the survey after a completed experience, partners' scorecards,
credentials students earned, and the specialists' outcome reports.
"""
