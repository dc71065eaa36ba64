"""Staff downloads of what students wrote: each one is audited (who, what, how many rows, which
filters). The rate limit is on the route (``STAFF_EXPORT_LIMIT``); the scope is the page's filters."""

from cpspartners.models import AuditEntry, User
from cpspartners.services._base import transaction
from cpspartners.services.audit import record


@transaction
def log_export(actor: User, what: str, rows: int, scope: str) -> AuditEntry:
    return record(actor, "exported", "user", actor.id, {"rows": [None, rows]}, note="%s %s" % (what, scope))
