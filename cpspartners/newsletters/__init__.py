"""Newsletters (/newsletters): families and staff subscribe (double opt-in) and unsubscribe;
specialists compose, preview and send newsletters of listings.
"""
