"""Helpers shared by the models: timestamps and checked code columns."""

from datetime import UTC, datetime

from sqlalchemy import CheckConstraint


def utcnow():
    """Now, timezone-aware; passed as a callable so each row gets its own time."""
    return datetime.now(UTC)


def one_of(column, allowed, name):
    """A CHECK constraint that keeps a code column inside its taxonomy."""
    quoted = ", ".join("'%s'" % value for value in allowed)
    return CheckConstraint(f"{column} IN ({quoted})", name=name)
