"""Forms of the application and request workflows (server-side validation, clear messages)."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from cpspartners.formtools import PlainText, options, strip
from cpspartners.models.outcomes import RUBRIC

REQUIRED = _l("This field is required.")


def _length(max_length):
    return Length(max=max_length, message=_l("Use at most %(max)d characters.", max=max_length))


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


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
        validators=[Optional(), _length(2000), PlainText()],
    )


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"), filters=[strip], validators=[DataRequired(REQUIRED), _length(4000), PlainText()]
    )


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
        _l("Note for your records (optional)"), filters=[strip], validators=[Optional(), _length(2000), PlainText()]
    )


GRADE_CHOICES = [("", _l("Choose a grade")), ("0", "K")] + [(str(g), str(g)) for g in range(1, 13)]


def grade_or_none(value):
    """A grade from the form, or None for the placeholder and anything that is not a small number."""
    value = str(value) if value is not None else ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 2 else None


def future(message=_l("Choose a date after today.")):
    def check(form, field):
        if field.data and field.data <= date.today():
            raise ValidationError(message)

    return check


class RequestForm(FlaskForm):
    """A teacher asks a partner for a speaker or classroom visit."""

    topic = StringField(_l("Topic"), filters=[strip], validators=[DataRequired(REQUIRED), _length(200), PlainText()])
    subject = StringField(
        _l("Subject you teach (optional)"), filters=[strip], validators=[Optional(), _length(120), PlainText()]
    )
    grade = SelectField(_l("Grade"), coerce=grade_or_none, choices=options(GRADE_CHOICES), validate_choice=False)
    class_size = IntegerField(
        _l("Class size"),
        validators=[
            InputRequired(_l("Enter a whole number.")),
            NumberRange(min=1, max=500, message=_l("Enter a number from 1 to 500.")),
        ],
    )
    modality = RadioField(
        _l("In person or virtual?"),
        default="in_person",
        choices=options([("in_person", _l("In person at my school")), ("virtual", _l("Virtual"))]),
        validators=[InputRequired(REQUIRED)],
    )
    date_1 = DateField(_l("First choice of date"), validators=[InputRequired(_l("Enter a date.")), future()])
    date_2 = DateField(_l("Second choice (optional)"), validators=[Optional(), future()])
    date_3 = DateField(_l("Third choice (optional)"), validators=[Optional(), future()])
    message = TextAreaField(
        _l("Message to the partner (optional)"), filters=[strip], validators=[Optional(), _length(4000), PlainText()]
    )

    def validate_grade(self, field):
        if field.data not in range(0, 13):
            raise ValidationError(_l("Choose a grade."))

    def dates(self):
        return [d for d in (self.date_1.data, self.date_2.data, self.date_3.data) if d]


class AcceptForm(FlaskForm):
    visit_date = SelectField(_l("Date of the visit"), validators=[InputRequired(_l("Choose one of the dates."))])
    note = TextAreaField(
        _l("Note for the teacher (optional)"), filters=[strip], validators=[Optional(), _length(2000), PlainText()]
    )


class ProposeForm(FlaskForm):
    other_date = DateField(_l("Another date"), validators=[InputRequired(_l("Enter a date.")), future()])
    note = TextAreaField(
        _l("Note for the teacher (optional)"), filters=[strip], validators=[Optional(), _length(2000), PlainText()]
    )


class DeclineForm(FlaskForm):
    note = TextAreaField(
        _l("Why you decline"), filters=[strip], validators=[DataRequired(REQUIRED), _length(2000), PlainText()]
    )


YES_NO = options([("yes", _l("Yes")), ("no", _l("No"))])


class ConfirmForm(FlaskForm):
    happened = RadioField(_l("Did the visit happen?"), choices=YES_NO, validators=[InputRequired(REQUIRED)])


class AnswerForm(FlaskForm):
    accept = RadioField(
        _l("Does the proposed date work for you?"),
        choices=options([("yes", _l("Yes, accept it")), ("no", _l("No, cancel the request"))]),
        validators=[InputRequired(REQUIRED)],
    )


class ReassignForm(FlaskForm):
    partner_id = SelectField(_l("New partner"), coerce=int, validate_choice=False)

    def validate_partner_id(self, field):
        if not field.data:
            raise ValidationError(_l("Choose an organization."))


RUBRIC_QUESTIONS = {
    "relevance": _l("How useful was this for what you are learning or teaching?"),
    "engagement": _l("How engaging was it?"),
    "organization": _l("How well organized was it?"),
    "recommend": _l("Would you recommend it to others?"),
}
RUBRIC_SCALE = options(
    [("1", _l("1 · Not at all")), ("2", _l("2 · A little")), ("3", _l("3 · Mostly")), ("4", _l("4 · Very much"))]
)


class FeedbackForm(FlaskForm):
    relevance = RadioField(
        RUBRIC_QUESTIONS["relevance"],
        choices=RUBRIC_SCALE,
        validators=[InputRequired(_l("Choose a rating from 1 to 4."))],
    )
    engagement = RadioField(
        RUBRIC_QUESTIONS["engagement"],
        choices=RUBRIC_SCALE,
        validators=[InputRequired(_l("Choose a rating from 1 to 4."))],
    )
    organization = RadioField(
        RUBRIC_QUESTIONS["organization"],
        choices=RUBRIC_SCALE,
        validators=[InputRequired(_l("Choose a rating from 1 to 4."))],
    )
    recommend = RadioField(
        RUBRIC_QUESTIONS["recommend"],
        choices=RUBRIC_SCALE,
        validators=[InputRequired(_l("Choose a rating from 1 to 4."))],
    )
    comment = TextAreaField(
        _l("Anything else? (optional)"), filters=[strip], validators=[Optional(), _length(4000), PlainText()]
    )

    def ratings(self):
        return {item: int(getattr(self, item).data) for item in RUBRIC}
