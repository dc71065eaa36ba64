"""The one family of errors services raise when they refuse, each with the HTTP status it means.

``str(error)`` is a translated message fit to show the person: services pass lazy strings, so the
message comes out in the reader's language when it is shown (flashed, put beside a form, or on
an error page), and in English on the command line. Views flash it or show it next to the form;
an uncaught one becomes the matching 4xx page (``cpspartners.errors``), never a 500.
"""


class ServiceError(Exception):
    """A rule said no. ``str(error)`` is a translated message fit to show."""

    status = 400


class NotAllowed(ServiceError):
    """The person may not do this to this object."""

    status = 403


class NotFound(ServiceError):
    """What the action is about does not exist (any more)."""

    status = 404


class RuleBroken(ServiceError):
    """The action breaks a rule (deadline passed, no seats left...): the message says which."""

    status = 400


class Conflict(RuleBroken):
    """A broken rule about the record's current state (already decided, already there...)."""

    status = 409
