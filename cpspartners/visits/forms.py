"""cpspartners.visits.forms."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from cpspartners.formtools import (
    REQUIRED,
    PlainText,
    max_length,
    options,
    strip,
)
from cpspartners.services.visit_requests import class_time_problem

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

    topic = StringField(_l("Topic"), filters=[strip], validators=[DataRequired(REQUIRED), max_length(200), PlainText()])
    subject = StringField(
        _l("Subject you teach (optional)"), filters=[strip], validators=[Optional(), max_length(120), PlainText()]
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
    starts_at = TimeField(_l("Class starts at (optional)"), validators=[Optional()], description=_l("Chicago time."))
    ends_at = TimeField(_l("Class ends at (optional)"), validators=[Optional()])
    message = TextAreaField(
        _l("Message to the partner (optional)"), filters=[strip], validators=[Optional(), max_length(4000), PlainText()]
    )

    def validate_grade(self, field):
        if field.data not in range(0, 13):
            raise ValidationError(_l("Choose a grade."))

    def validate_ends_at(self, field):
        problem = class_time_problem(self.starts_at.data, field.data)
        if problem:
            raise ValidationError(problem)

    def dates(self):
        return [d for d in (self.date_1.data, self.date_2.data, self.date_3.data) if d]


class AcceptForm(FlaskForm):
    visit_date = SelectField(_l("Date of the visit"), validators=[InputRequired(_l("Choose one of the dates."))])
    note = TextAreaField(
        _l("Note for the teacher (optional)"), filters=[strip], validators=[Optional(), max_length(2000), PlainText()]
    )


class ProposeForm(FlaskForm):
    other_date = DateField(_l("Another date"), validators=[InputRequired(_l("Enter a date.")), future()])
    note = TextAreaField(
        _l("Note for the teacher (optional)"), filters=[strip], validators=[Optional(), max_length(2000), PlainText()]
    )


class DeclineForm(FlaskForm):
    note = TextAreaField(
        _l("Why you decline"), filters=[strip], validators=[DataRequired(REQUIRED), max_length(2000), PlainText()]
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
