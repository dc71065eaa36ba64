"""Messages between a partner and a student (about an application) or a teacher (about a
request). They stay on the site: nobody sees anyone else's email address or phone number."""

from collections.abc import Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Application, Message, User, VisitRequest
from cpspartners.services import student_text
from cpspartners.services._base import transaction
from cpspartners.services.errors import NotAllowed, RuleBroken
from cpspartners.services.notify import Page, notify, partner_staff

MAX_LENGTH = 4000


def thread_of(thread: Application | VisitRequest) -> Select[tuple[Message]]:
    """The messages of one application or request, oldest first (a select)."""
    column = Message.application_id if isinstance(thread, Application) else Message.visit_id
    return select(Message).where(column == thread.id).order_by(Message.created_at, Message.id)


def from_district(thread: Iterable[Message]) -> set[int]:
    """The ids of the messages the district's staff wrote: shown as from Chicago Public Schools."""
    return {message.id for message in thread if policy.writes_for_district(message.sender)}


@transaction
def post(sender: User, thread: Application | VisitRequest, body: str | None, send_anyway: bool = False) -> Message:
    """Add a message and tell the other side; one transaction.

    A student's message holding contact details is refused (``student_text.ContactDetailsFound``)
    unless ``send_anyway``, and then stored masked."""
    side = policy.thread_side(sender, thread)
    if side is None:
        raise NotAllowed(_l("This conversation is not yours."))
    if isinstance(thread, Application) and not policy.can_see_application_details(sender, thread):
        # The thread holds what the student wrote: no consent, no conversation.
        raise NotAllowed(_l("This application is waiting for consent."))
    body = (body or "").strip()
    if not body:
        raise RuleBroken(_l("Write a message first."))
    if len(body) > MAX_LENGTH:
        raise RuleBroken(_l("Use at most %(max)d characters.", max=MAX_LENGTH))
    body = student_text.for_partner(sender, body, send_anyway)
    is_application = isinstance(thread, Application)
    message = Message(
        sender_id=sender.id,
        body=body,
        application_id=thread.id if is_application else None,
        visit_id=None if is_application else thread.id,
    )
    db.session.add(message)
    _tell_other_side(thread, side)
    return message


def _tell_other_side(thread: Application | VisitRequest, side: str) -> None:
    if isinstance(thread, Application):
        others = partner_staff(thread.opportunity.partner_id) if side == "student" else [thread.student]
        notify(
            others,
            "message_new",
            Page("applications.detail", {"application_id": thread.id}),
            title=thread.opportunity.title,
        )
    else:
        others = partner_staff(thread.partner_id) if side == "teacher" else [thread.teacher]
        notify(others, "message_new", Page("visits.detail", {"visit_id": thread.id}), title=thread.topic)
