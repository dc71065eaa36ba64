"""Expiry reminders for seat holders, in the holder's language: to the family's adult email, or
to the student account's own email. Sent by ``flask pools remind`` over one SMTP connection."""

from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale

from cpspartners.mail import build_message, send_batch
from cpspartners.models import SeatAssignment
from cpspartners.services import pools


def _holder_message(assignment: SeatAssignment, template: str, **extra: object) -> tuple[str, str, str, str] | None:
    """(email, language, subject, body) of ``template`` for a seat's holder, in their language:
    the student account's own email or the family's adult; None when there is nobody to write to."""
    holder = assignment.holder
    email = holder.email if holder is not None else assignment.holder_email
    language = holder.preferred_language if holder is not None else assignment.holder_language
    if not email:
        return None
    with force_locale(language):
        text = render_template(
            template,
            pool_name=assignment.allocation.pool.localized("name", language),
            expires_on=assignment.expires_on,
            distributor=assignment.allocation.distributor.name,
            name=assignment.holder_display,
            **extra,
        )
    subject, _, body = text.strip().partition("\n")
    return email, language, subject.strip(), body.strip() + "\n"


def reminder_for(assignment: SeatAssignment) -> tuple[str, str, str, str] | None:
    """The expiry reminder for one seat, or None when there is nobody to write to."""
    return _holder_message(assignment, "email/seat_reminder.txt", renew_link=_renew_link(assignment))


def seat_given_for(assignment: SeatAssignment) -> tuple[str, str, str, str] | None:
    """The message telling a holder they have a seat and how to use it; None when there is
    nobody to write to (a seat waiting for its code)."""
    return _holder_message(
        assignment,
        "email/seat_given.txt",
        starts_on=assignment.starts_on,
        for_student=assignment.holder is not None,
    )


def send_seat_given(assignment_ids: list[int]) -> int:
    """Tell each new holder of these seats, one message each over one connection."""
    from cpspartners.extensions import db

    messages = []
    for assignment_id in assignment_ids:
        assignment = db.session.get(SeatAssignment, assignment_id)
        found = seat_given_for(assignment) if assignment is not None and assignment.status == "active" else None
        if found:
            email, language, subject, body = found
            messages.append(build_message(email, subject, body, language=language))
    return send_batch(messages) if messages else 0


def _renew_link(assignment: SeatAssignment) -> str:
    """A family that asked on the site renews on its own licence page (needs a request context)."""
    from cpspartners.services import licences

    req = licences.request_of(assignment)
    return licences.holder_link(req) if req is not None else ""


def send_due(today: date | None = None) -> int:
    """Send every due reminder; mark them reminded (also those with no address, so they stop coming up)."""
    today = today or date.today()
    due = pools.due_reminders(today)
    messages = []
    for assignment in due:
        found = reminder_for(assignment)
        if found:
            email, language, subject, body = found
            messages.append(build_message(email, subject, body, language=language))
    sent = send_batch(messages) if messages else 0
    pools.mark_reminded(due, today)
    current_app.logger.info("Seat reminders: %d due, %d sent", len(due), sent)
    return sent
