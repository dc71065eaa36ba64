"""cpspartners.applications.forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, NumberRange, Optional

from cpspartners.formtools import (
    REQUIRED,
    MessageForm,
    PlainText,
    max_length,
    options,
    strip,
)

# Shown (with the warning) only when a student's text held contact details.
SEND_HIDDEN = _l("Send it with these details hidden")


class ApplyForm(FlaskForm):
    kind = RadioField(
        _l("What would you like to do?"),
        default="apply",
        choices=options([("apply", _l("Apply for a place")), ("interest", _l("Tell them I'm interested"))]),
        validators=[InputRequired(REQUIRED)],
    )
    answer = TextAreaField(
        _l("Why are you interested? (optional)"),
        filters=[strip],
        description=_l(
            "The partner sees your first name, grade, school and this answer. "
            "Do not write your phone number or email: messages go through this site."
        ),
        validators=[Optional(), max_length(2000), PlainText()],
    )
    send_anyway = BooleanField(SEND_HIDDEN)
    contact_found = None  # what screening found, when the view sends the form back for it


class ThreadMessageForm(MessageForm):
    """A message in an application's thread; a student may send one with contact details hidden."""

    send_anyway = BooleanField(SEND_HIDDEN)
    contact_found = None


MOVES = (
    ("accepted", _l("Accept")),
    ("waitlisted", _l("Put on the waitlist")),
    ("declined", _l("Decline")),
    ("completed", _l("Mark as completed")),
)


class MoveForm(FlaskForm):
    """A partner's decision on an application."""

    to_state = SelectField(_l("Decision"), choices=options(MOVES), validators=[InputRequired(REQUIRED)])
    hours = DecimalField(
        _l("Hours the student spent (when completing)"),
        places=1,
        validators=[Optional(), NumberRange(min=0, max=2000, message=_l("Hours must be between 0 and 2000."))],
    )
    note = TextAreaField(
        _l("Note for your records (optional)"), filters=[strip], validators=[Optional(), max_length(2000), PlainText()]
    )
