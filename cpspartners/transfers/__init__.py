"""Transfers (/transfers): CSV import (upload, a dry run row by row, then all or nothing) and CSV
exports of partners, listings, the audit log and what needs verification.
"""
