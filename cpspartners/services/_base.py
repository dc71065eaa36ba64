"""Shared bits for services."""

from cpspartners.models._base import utcnow

__all__ = ["utcnow"]
