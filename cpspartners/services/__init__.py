"""Operations that change state. Views and CLI commands call these; nothing else writes.

Each public function is one transaction: it checks its rule, writes through the ORM session
(so session listeners, such as search indexing, see every change), records the audit entry and
commits, or rolls back and raises ``ServiceError`` with a message for the person.
"""


class ServiceError(Exception):
    """A rule said no. ``str(error)`` is a translated message fit to show."""
