"""Audit entries: who changed what, with old and new values. Written, never edited."""

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, func, not_, or_

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.i18n import freeze, thaw
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
    note: object = "",
) -> AuditEntry:
    """Add an audit entry to the current transaction (the service running it commits).

    ``note`` is plain text (what a person typed, a page's address) or a lazy message: a message is
    kept frozen beside its English text, so each reader of the log reads it in their language.
    """
    frozen = freeze(note) if note else None
    if isinstance(frozen, dict):
        with force_locale("en"):
            note = str(thaw(frozen))
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        actor_label=label_for(actor),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        changes=changes or {},
        note=str(note or ""),
        note_message=frozen if isinstance(frozen, dict) else None,
        import_run_id=db.session.info.get(_IMPORT_RUN),
    )
    db.session.add(entry)
    return entry


def shown_note(entry: AuditEntry) -> str:
    """The entry's note in the reader's language; text a person typed (and a note written before
    notes were kept as messages) as it was written."""
    if entry.note_message:
        return str(thaw(entry.note_message))
    return entry.note


# --- Who did it, as the audit log shows it ---------------------------------------------------------
# The data inventory (docs/data-inventory.md): a student's email is seen by the student and by
# admins on the account's own page, by nobody in the audit log. A student is named there by
# record number; staff by their email, so specialists can tell who did what.


SYSTEM_LABEL = "system"
DELETED_STUDENT_LABEL = "Deleted student"  # a student's own entries after erasure
STUDENT_LABEL = re.compile(r"Student #(\d+)")


def label_for(actor: User | None) -> str:
    """What an entry keeps as its actor: a staff member's email, a student's record number."""
    if actor is None:
        return SYSTEM_LABEL
    if policy.is_student_account(actor):
        return "Student #%d" % actor.id
    return actor.email or SYSTEM_LABEL


def shown_actor(entry: AuditEntry) -> str:
    """The actor of ``entry`` as the audit page and its CSV show it (entries written before
    students were labelled by number still carry the email: it is not shown)."""
    if entry.actor is not None and policy.is_student_account(entry.actor):
        return _("Student #%(id)d", id=entry.actor.id)
    # The labels the site itself stores (``label_for``, erasure) in the reader's language.
    if entry.actor_label == SYSTEM_LABEL:
        return _("System")
    if entry.actor_label == DELETED_STUDENT_LABEL:
        return _("Deleted student")
    number = STUDENT_LABEL.fullmatch(entry.actor_label)
    if number:
        return _("Student #%(id)d", id=int(number.group(1)))
    return entry.actor_label


def actor_matches(text: str) -> ColumnElement[bool]:
    """Entries whose actor's label contains ``text`` (the "Who" filter). A student actor's old
    email label never matches, so the filter cannot test whether an address is a student's."""
    student_actor = AuditEntry.actor.has(policy.accounts_with_role("student"))
    label = func.lower(AuditEntry.actor_label).contains(text.lower(), autoescape=True)
    old_email = AuditEntry.actor_label.contains("@")
    return and_(label, or_(AuditEntry.actor_id.is_(None), not_(student_actor), not_(old_email)))


@transaction
def log_student_access(actor: User, students: Iterable[User | None], where: str) -> list[AuditEntry]:
    """Record that a staff member saw students' records (FERPA/SOPPA access log): one entry per
    student shown, whether on a detail page (one student) or a list page (the page's students)."""
    shown = {s.id: s for s in students if s is not None and policy.is_student_account(s)}
    return [record(actor, "viewed", "student_record", student_id, note=where) for student_id in shown]


def log_student_record_access(actor: User, student: User | None, where: str) -> AuditEntry | None:
    """``log_student_access`` for one student's page."""
    entries = log_student_access(actor, [student], where)
    return entries[0] if entries else None
