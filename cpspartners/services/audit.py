"""Audit entries: who changed what, with old and new values. Written, never edited."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import AuditEntry, User
from cpspartners.services._base import transaction

# The spreadsheet import whose rows the current session is writing (see ``import_run``).
_IMPORT_RUN = "cpspartners.import_run_id"


@contextmanager
def import_run(run_id: int) -> Iterator[None]:
    """Tie every entry ``record`` adds meanwhile to that import, whichever service adds it."""
    db.session.info[_IMPORT_RUN] = run_id
    try:
        yield
    finally:
        db.session.info.pop(_IMPORT_RUN, None)


def jsonable(value: Any) -> Any:
    """A value as it is stored in an audit entry or a change request (JSON-safe)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    return value


def diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields of ``new`` whose value differs from ``old``."""
    changes = {}
    for field, value in new.items():
        before = jsonable(old.get(field))
        after = jsonable(value)
        if before != after:
            changes[field] = [before, after]
    return changes


def record(
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: int | None,
    changes: Mapping[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Add an audit entry to the current transaction (the service running it commits)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=getattr(actor, "email", "") or "system",
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        changes=changes or {},
        note=note or "",
        import_run_id=db.session.info.get(_IMPORT_RUN),
    )
    db.session.add(entry)
    return entry


@transaction
def log_student_record_access(actor: User, student: User | None, where: str) -> AuditEntry | None:
    """Record that a staff member looked at a student's account (FERPA/SOPPA access log)."""
    if student is None or not policy.is_student_account(student):
        return None
    entry = record(actor, "viewed", "student_record", student.id, note=where)
    return entry
