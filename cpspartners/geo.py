"""Distances on the Earth's surface, in miles, for "near my school" features."""

from math import asin, cos, radians, sin, sqrt

EARTH_RADIUS_MILES = 3958.8


def miles_between(lat1, lon1, lat2, lon2):
    """Great-circle (haversine) distance in miles between two WGS84 points."""
    phi1, phi2 = radians(lat1), radians(lat2)
    dphi, dlmb = radians(lat2 - lat1), radians(lon2 - lon1)
    a = sin(dphi / 2) ** 2 + cos(phi1) * cos(phi2) * sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_MILES * asin(sqrt(a))


def bounding_box(lat, lon, miles):
    """A (min_lat, max_lat, min_lon, max_lon) box that contains every point within ``miles``."""
    dlat = miles / 69.0
    dlon = miles / (69.0 * max(cos(radians(lat)), 0.01))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
