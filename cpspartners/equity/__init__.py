"""Equity (/equity): where opportunities are, per 100 students in each community area, against the
area's hardship; the map and table specialists use to see underserved neighbourhoods.
"""
