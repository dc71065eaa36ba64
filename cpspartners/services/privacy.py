"""Exercising privacy rights: requests and their legal clocks, corrections, erasing a student,
the retention sweep, family links and incidents.

The rules of what is kept and what deletion does come from ``cpspartners.privacy.inventory``;
this module only carries them out, so the published inventory is what the code does.
"""

import os
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Table as CoreTable
from sqlalchemy import and_, delete, insert, or_, select, text, update

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import (
    AnonymisedOutcome,
    Application,
    AuditEntry,
    DeletionCertificate,
    FamilyLink,
    Incident,
    RightsRequest,
    User,
)
from cpspartners.privacy import inventory
from cpspartners.services import audit
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.applications import give_back_seat
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from cpspartners.taxonomy import RIGHTS_KIND_LABELS

# Legal clocks (docs/privacy.md cites each).
ACCESS_BUSINESS_DAYS = 10  # ISSRA 105 ILCS 10/5(c): stricter than SOPPA's 45 days, so it wins
ACCESS_PER_QUARTER = 2  # 23 IAC 380.20: a school may limit requests to 2 per student per quarter
CORRECTION_DAYS = 90  # SOPPA 85/33(c)(3): decided and corrected within 90 calendar days
CONFIRM_BUSINESS_DAYS = 10  # ... and the parent told within 10 business days of the fix
DELETION_DAYS = 7  # CPS data-deletion clause: 7 calendar days
BREACH_NOTICE_DAYS = 30  # SOPPA 85/27(a)(5), CPS: parents within 30 calendar days
# What a correction may change: the student-entered facts of the account.
CORRECTABLE = ("name", "grade", "preferred_language")


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` weekdays (federal holidays are not counted out: a safe early date)."""
    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def due_for(kind: str, received: datetime) -> datetime:
    if kind == "access":
        return add_business_days(received, ACCESS_BUSINESS_DAYS)
    if kind == "correction":
        return received + timedelta(days=CORRECTION_DAYS)
    return received + timedelta(days=DELETION_DAYS)


def _quarter_start(moment: datetime) -> datetime:
    month = 3 * ((moment.month - 1) // 3) + 1
    return moment.replace(month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


def _log(actor: User | None, request: RightsRequest, old: str, new: str) -> None:
    audit.record(
        actor,
        "rights_" + new,
        "student_record",
        request.student_id,
        {"request": [request.id, request.id], "state": [old, new]},
        note=RIGHTS_KIND_LABELS.get(request.kind, request.kind),
    )


@transaction
def open_request(
    student: User,
    kind: str,
    requested_by: str = "student",
    field: str = "",
    value: str = "",
    now: datetime | None = None,
) -> RightsRequest:
    """Record a request to see, correct or delete ``student``'s records, with its due date."""
    if not policy.is_student_account(student):
        raise NotAllowed(_l("Only a student's records can be requested."))
    now = now or utcnow()
    if kind == "access":
        count = db.session.scalar(
            select(db.func.count(RightsRequest.id)).where(
                RightsRequest.student_id == student.id,
                RightsRequest.kind == "access",
                RightsRequest.received_at >= _quarter_start(now),
            )
        )
        if (count or 0) >= ACCESS_PER_QUARTER:
            raise RuleBroken(_l("Two copies were already requested this quarter. You can still see your records here."))
    if kind == "correction":
        if field not in CORRECTABLE:
            raise RuleBroken(_l("Choose what to correct."))
        if not value.strip() or len(value) > 200:
            raise RuleBroken(_l("Say what the correct value is (up to 200 characters)."))
    request = RightsRequest(
        student_id=student.id,
        kind=kind,
        requested_by=requested_by,
        field=field,
        requested_value=value.strip(),
        received_at=now,
        due_at=due_for(kind, now),
    )
    db.session.add(request)
    db.session.flush()
    _log(student if requested_by == "student" else None, request, "", "received")
    return request


# Correction workflow: received -> decided -> corrected | denied -> confirmed (S8).
CORRECTION_STEPS = {
    "decide": ("received", "decided"),
    "correct": ("decided", "corrected"),
    "deny": ("decided", "denied"),
}


@transaction
def advance_correction(
    actor: User, request: RightsRequest, step: str, note: str = "", now: datetime | None = None
) -> None:
    """Move a correction one step; ``correct`` changes the student's field, audited old and new."""
    if not policy.can_handle_rights_requests(actor):
        raise NotAllowed(_l("You cannot handle privacy requests."))
    now = now or utcnow()
    if step == "confirm":
        allowed_from: tuple[str, ...] = ("corrected", "denied")
        to = "confirmed"
    elif step in CORRECTION_STEPS and request.kind == "correction":
        allowed_from, to = (CORRECTION_STEPS[step][0],), CORRECTION_STEPS[step][1]
    else:
        raise RuleBroken(_l("That step does not exist."))
    if request.state not in allowed_from:
        raise Conflict(_l("This request is not at that step any more."))
    old = request.state
    request.state = to
    request.handled_by_id = actor.id
    request.decision_note = (note or request.decision_note)[:2000]
    if to == "decided":
        request.decided_at = now
    if to == "corrected":
        _apply_correction(actor, request)
    if to in ("corrected", "denied"):
        request.confirm_due_at = add_business_days(now, CONFIRM_BUSINESS_DAYS)
    if to == "confirmed":
        request.closed_at = now
    _log(actor, request, old, to)


def _apply_correction(actor: User, request: RightsRequest) -> None:
    student = request.student
    if student is None:
        raise Conflict(_l("This student's records were deleted."))
    value: Any = request.requested_value
    if request.field == "grade":
        if not value.isdigit() or int(value) not in range(6, 13):
            raise RuleBroken(_l("A grade is a number from 6 to 12."))
        value = int(value)
    if request.field == "preferred_language" and value not in ("en", "es"):
        raise RuleBroken(_l("The language must be en or es."))
    old = getattr(student, request.field)
    setattr(student, request.field, value)
    audit.record(
        actor, "corrected", "student_record", student.id, audit.diff({request.field: old}, {request.field: value})
    )


@transaction
def fulfil(actor: User | None, request: RightsRequest, now: datetime | None = None) -> None:
    """Close an access request (the copy was given) or carry out a deletion request."""
    if actor is not None and not policy.can_handle_rights_requests(actor):
        raise NotAllowed(_l("You cannot handle privacy requests."))
    if request.state != "received" or request.kind == "correction":
        raise Conflict(_l("This request is not at that step any more."))
    if request.kind == "deletion":
        if actor is not None and not policy.can_erase_students(actor):
            raise NotAllowed(_l("Only the privacy officer deletes a student's records."))
        _log(actor, request, "received", "fulfilled")
        request.state, request.closed_at, request.handled_by_id = (
            "fulfilled",
            now or utcnow(),
            getattr(actor, "id", None),
        )
        if request.student is not None:
            erase_student(request.student, "request", request_id=request.id, now=now, folder=export_dir())
        return
    _log(actor, request, "received", "fulfilled")
    request.state, request.closed_at, request.handled_by_id = "fulfilled", now or utcnow(), getattr(actor, "id", None)


def late_requests(now: datetime | None = None) -> list[RightsRequest]:
    """Open requests past their due date (or past the date to confirm a correction)."""
    now = now or utcnow()
    late = or_(
        and_(RightsRequest.state == "received", RightsRequest.due_at < now),
        and_(RightsRequest.state == "decided", RightsRequest.due_at < now),
        and_(RightsRequest.state.in_(("corrected", "denied")), RightsRequest.confirm_due_at < now),
    )
    return list(db.session.scalars(select(RightsRequest).where(late).order_by(RightsRequest.due_at)))


# --- Erasing a student ------------------------------------------------------------------------


def _table(name: str) -> CoreTable:
    return db.metadata.tables[name]


def student_rows(name: str, student_id: int) -> Any:
    """The condition picking ``student_id``'s rows of inventory table ``name``, or None."""
    table = _table(name)
    entry = inventory.TABLES[name]
    if name == "newsletter_delivery":
        return table.c.recipient == "u:%d" % student_id
    if name == "audit_entry":
        # The student's record and the student's account (profile changes carry old names).
        about = and_(table.c.subject_type.in_(("student_record", "user")), table.c.subject_id == student_id)
        return or_(about, table.c.actor_id == student_id)
    if name == "message":
        threads = select(Application.id).where(Application.student_id == student_id)
        return or_(table.c.sender_id == student_id, table.c.application_id.in_(threads))
    if name == "feedback":
        threads = select(Application.id).where(Application.student_id == student_id)
        return or_(table.c.respondent_id == student_id, table.c.application_id.in_(threads))
    if not entry.owner:
        return None
    return table.c[entry.owner] == student_id


def erase_order() -> list[str]:
    """Every inventory table that can hold the student's rows, children before parents (so no
    foreign key breaks and the thread conditions still see the applications). A table added to
    the inventory is erased without touching this module."""
    tables = [t.name for t in reversed(db.metadata.sorted_tables) if t.name in inventory.TABLES]
    return [name for name in tables if inventory.TABLES[name].owner]


def _blank(table: CoreTable, columns: Iterable[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in columns:
        column = table.c[name]
        if name == "changes":
            values[name] = {}
        elif column.nullable:
            values[name] = None
        else:
            values[name] = ""
    return values


def _erase_table(name: str, student_id: int) -> int:
    where = student_rows(name, student_id)
    if where is None:
        return 0
    table = _table(name)
    entry = inventory.TABLES[name]
    if entry.at_deletion == inventory.KEEP_COUNTS:
        _keep_counts(where)
    if name == "event_signup":
        places = db.session.scalars(select(table.c.opportunity_id).where(where, table.c.holds_place.is_(True)))
        for opportunity_id in list(places):
            give_back_seat(opportunity_id)
    if entry.at_deletion == inventory.ANONYMISE:
        wiped = [c for c in entry.fields if entry.at_deletion_of(c) == inventory.DELETE]
        values = _blank(table, wiped)
        if entry.owner and table.c[entry.owner].nullable:
            values[entry.owner] = None
        if name == "audit_entry":
            # Rows the student did lose their actor; staff actors of the other rows stay named.
            mine = and_(where, table.c.actor_id == student_id)
            db.session.execute(update(table).where(mine).values(actor_id=None, actor_label=audit.DELETED_STUDENT_LABEL))
        result = db.session.execute(update(table).where(where).values(values))
        return int(result.rowcount)  # type: ignore[attr-defined]
    result = db.session.execute(delete(table).where(where))
    return int(result.rowcount)  # type: ignore[attr-defined]


def _keep_counts(where: Any) -> None:
    """Applications about to go: give back the seats they hold and keep finished ones as counts."""
    table = _table("application")
    rows = db.session.execute(
        select(table.c.opportunity_id, table.c.state, table.c.hours, table.c.completed_on, table.c.holds_seat).where(
            where
        )
    ).all()
    for row in rows:
        if row.holds_seat and row.state in ("submitted", "accepted"):
            give_back_seat(row.opportunity_id)
    finished = [r for r in rows if r.state == "completed"]
    if finished:
        db.session.execute(
            insert(AnonymisedOutcome.__table__),
            [
                {"opportunity_id": r.opportunity_id, "state": r.state, "hours": r.hours, "completed_on": r.completed_on}
                for r in finished
            ],
        )


def export_dir() -> str:
    """Where copies sent in answer to a request are kept as proof (PRIVACY_EXPORT_DIR)."""
    from flask import current_app

    return str(
        current_app.config.get("PRIVACY_EXPORT_DIR") or os.path.join(current_app.instance_path, "privacy-exports")
    )


def remove_student_files(folder: str, student_id: int) -> int:
    """Delete the saved copies of this student's records (named ``student-<id>-...``)."""
    if not os.path.isdir(folder):
        return 0
    prefix = "student-%d-" % student_id
    removed = 0
    for name in os.listdir(folder):
        if name.startswith(prefix):
            os.remove(os.path.join(folder, name))
            removed += 1
    return removed


@transaction
def erase_student(
    student: User,
    reason: str,
    request_id: int | None = None,
    now: datetime | None = None,
    folder: str = "",
) -> DeletionCertificate:
    """Remove the student from every table the inventory lists (and the extensions'), keeping
    only what it says stays (anonymised outcome counts, request records without the person),
    delete saved copies of the records, and write the deletion certificate."""
    if not policy.is_student_account(student):
        raise NotAllowed(_l("Only a student's records are erased this way."))
    student_id = student.id
    db.session.flush()
    db.session.expunge(student)
    counts = {}
    for name in erase_order():
        count = _erase_table(name, student_id)
        if count:
            counts[name] = count
    files = remove_student_files(folder, student_id) if folder else 0
    certificate = DeletionCertificate(
        reason=reason, request_id=request_id, counts=counts, files_removed=files, completed_at=now or utcnow()
    )
    db.session.add(certificate)
    return certificate


@transaction
def close_account(student: User, folder: str = "") -> DeletionCertificate:
    """The student closes their own account: erased at once, as the close page says."""
    if not policy.can_use_own_privacy(student):
        raise NotAllowed(_l("Only a student can close their account here."))
    return erase_student(student, "closed", folder=folder)


# --- Retention sweep --------------------------------------------------------------------------


def _expired(table: CoreTable, retention: inventory.Retention, now: datetime) -> Any:
    column = table.c[retention.clock]
    cutoff: date | datetime = now - retention.keep
    if isinstance(column.type, db.Date):
        cutoff = (now - retention.keep).date()
    condition = and_(column.is_not(None), column < cutoff)
    return and_(condition, text(retention.where)) if retention.where else condition


@transaction
def sweep(now: datetime | None = None, folder: str = "") -> dict[str, int]:
    """Delete or anonymise everything past its retention in the inventory; {what: rows}."""
    now = now or utcnow()
    done: dict[str, int] = {}
    for name, entry in inventory.TABLES.items():
        table = _table(name)
        if name == "user":
            done["user"] = _sweep_accounts(table, entry, now, folder)
            continue
        expired = _expired(table, entry.retention, now)
        if entry.at_deletion == inventory.KEEP_COUNTS:
            _keep_counts(expired)
        result = db.session.execute(delete(table).where(expired))
        done[name] = int(result.rowcount)  # type: ignore[attr-defined]
        # Blanking a column is not a change of the record: keep the clocks (onupdate) as they are.
        unchanged = {c.name: c for c in table.columns if c.onupdate is not None}
        for column, field in entry.fields.items():
            if field.retention and field.retention.keep < entry.retention.keep:
                blank = _blank(table, [column])
                due = and_(_expired(table, field.retention, now), table.c[column] != blank[column])
                result = db.session.execute(update(table).where(due).values({**blank, **unchanged}))
                done[f"{name}.{column}"] = int(result.rowcount)  # type: ignore[attr-defined]
    if folder:
        done["files"] = _sweep_files(folder, now)
    return done


def _sweep_accounts(table: CoreTable, entry: inventory.Table, now: datetime, folder: str) -> int:
    ids = db.session.scalars(
        # ``table`` is the user table: the role test is policy's.
        select(table.c.id).where(_expired(table, entry.retention, now), policy.accounts_with_role(entry.owner_role))
    ).all()
    for student_id in ids:
        student = db.session.get(User, student_id)
        if student is not None:
            erase_student(student, "retention", now=now, folder=folder)
    return len(ids)


def _sweep_files(folder: str, now: datetime) -> int:
    if not os.path.isdir(folder):
        return 0
    from flask import current_app

    keep = timedelta(days=int(current_app.config["PRIVACY_EXPORT_KEEP_DAYS"]))
    removed = 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if datetime.fromtimestamp(os.path.getmtime(path), now.tzinfo) < now - keep:
            os.remove(path)
            removed += 1
    return removed


# --- Family links -----------------------------------------------------------------------------


@transaction
def add_family_link(student: User, email: str, language: str = "en") -> FamilyLink:
    """A student names a parent's email; a specialist confirms it against the school's records."""
    if not policy.can_use_own_privacy(student):
        raise NotAllowed(_l("Only a student can add a parent here."))
    email = email.strip().lower()
    if email == student.email.lower():
        raise RuleBroken(_l("A parent's email must not be your own."))
    existing = db.session.scalar(
        select(FamilyLink).where(FamilyLink.student_id == student.id, FamilyLink.parent_email == email)
    )
    if existing is not None:
        raise Conflict(_l("That parent is already on your list."))
    link = FamilyLink(student_id=student.id, parent_email=email, parent_language=language)
    db.session.add(link)
    return link


@transaction
def confirm_family_link(actor: User, link: FamilyLink, now: datetime | None = None) -> None:
    if not policy.can_confirm_family_links(actor):
        raise NotAllowed(_l("You cannot confirm family links."))
    if link.state != "pending":
        raise Conflict(_l("This link is not waiting for confirmation."))
    link.state, link.confirmed_at, link.confirmed_by_id = "confirmed", now or utcnow(), actor.id
    audit.record(actor, "family_link_confirmed", "student_record", link.student_id, {"link": [None, link.id]})


def confirmed_links(email: str) -> list[FamilyLink]:
    return list(
        db.session.scalars(
            select(FamilyLink).where(FamilyLink.parent_email == email.strip().lower(), FamilyLink.state == "confirmed")
        )
    )


# --- Incidents (S10) --------------------------------------------------------------------------


@transaction
def open_incident(
    actor: User,
    title: str,
    discovered_at: datetime,
    window_start: datetime,
    window_end: datetime,
    data_involved: str,
    operator_name: str = "",
) -> Incident:
    """Record an incident; the parents' notice is due 30 calendar days after it was discovered."""
    if not policy.can_manage_incidents(actor):
        raise NotAllowed(_l("Only the privacy officer records incidents."))
    if window_end < window_start:
        raise RuleBroken(_l("The end of the window must not be before its start."))
    incident = Incident(
        title=title.strip()[:200],
        discovered_at=discovered_at,
        window_start=window_start,
        window_end=window_end,
        data_involved=data_involved.strip(),
        operator_name=operator_name.strip()[:200],
        parent_notice_due=discovered_at + timedelta(days=BREACH_NOTICE_DAYS),
        created_by_id=actor.id,
    )
    db.session.add(incident)
    return incident


def affected_student_ids(start: datetime, end: datetime) -> list[int]:
    """Students whose records staff viewed or changed in [start, end], from the access log."""
    rows = db.session.scalars(
        select(AuditEntry.subject_id)
        .where(AuditEntry.subject_type == "student_record", AuditEntry.at >= start, AuditEntry.at <= end)
        .distinct()
        .order_by(AuditEntry.subject_id)
    )
    return list(rows)


def affected_students(incident: Incident) -> list[User]:
    ids = affected_student_ids(incident.window_start, incident.window_end)
    if not ids:
        return []
    return list(
        db.session.scalars(select(User).where(User.id.in_(ids), policy.accounts_with_role("student")).order_by(User.id))
    )
