"""Errors that services raise, which views turn into a message and a 4xx."""

from cpspartners.services import ServiceError


class NotAllowed(ServiceError, PermissionError):
    """The person may not do this to this object (a 403 or 404, never a 500)."""


class RuleBroken(ServiceError, ValueError):
    """The action breaks a rule (deadline passed, no seats left...): the message says which."""
