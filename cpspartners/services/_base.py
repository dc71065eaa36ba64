"""Shared bits for services."""

from ..models._base import utcnow

__all__ = ["utcnow"]
