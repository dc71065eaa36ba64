"""What a student writes for a partner reaches the partner without contact details.

The one rule for students' free text (application answers, messages in an application's
thread): ``for_partner`` screens it (``cpspartners.screening``). When it holds an email address,
a phone number, a street address or a social-media handle, the student is told what was found
and why before anything is sent (``ContactDetailsFound``); if they send it anyway, only the
masked text is stored. Least data: the unmasked text is never kept, so no page, export or
notification can show it to a partner (the student sees the masked text too).
"""

from flask_babel import lazy_gettext as _l

from cpspartners import policy, screening
from cpspartners.models import Application, User
from cpspartners.services.errors import RuleBroken

KIND_LABELS = {
    "email": _l("an email address"),
    "phone": _l("a phone number"),
    "address": _l("a street address"),
    "handle": _l("a social media account"),
}


class ContactDetailsFound(RuleBroken):
    """The text holds contact details and the student has not chosen to send it masked."""

    def __init__(self, screened: screening.Screened) -> None:
        super().__init__()
        self.screened = screened

    def __str__(self) -> str:
        found = "; ".join("%s (%s)" % (KIND_LABELS[f.kind], f.text) for f in self.screened.findings)
        return str(
            _l(
                "We found contact details in your text: %(found)s. Partners must never get a way to reach "
                "students outside this site, to keep you safe. Take them out, or tick “Send it with these "
                "details hidden”: the partner (and you) will then see [•••] in their place.",
                found=found,
            )
        )


def for_partner(author: User, text: str, send_anyway: bool = False) -> str:
    """The text to store and show for what ``author`` wrote for a partner: unchanged for staff;
    for a student, refused with ``ContactDetailsFound`` when it holds contact details, unless
    ``send_anyway``, and then masked."""
    if not policy.is_student_account(author):
        return text
    screened = screening.screen(text)
    if screened.found and not send_anyway:
        raise ContactDetailsFound(screened)
    return screened.masked


def for_reader(reader: User, application: Application, text: str) -> str | None:
    """What a student wrote in ``application`` (its answer, its messages), as ``reader`` may see
    it: the text, or None while the rule withholds the application's details from them
    (``policy.can_see_application_details``: a partner before consent is on record)."""
    return text if policy.can_see_application_details(reader, application) else None
