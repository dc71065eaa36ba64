"""Forms of the privacy pages: corrections, family links, closing an account, incidents."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired

from cpspartners.formtools import LANGUAGE_OPTIONS, REQUIRED, PlainText, max_length, options, required_date, strip

CORRECTABLE_LABELS = (
    ("name", _l("Your name")),
    ("grade", _l("Your grade")),
    ("preferred_language", _l("Your language (en or es)")),
)


class CorrectionForm(FlaskForm):
    field = SelectField(_l("What is wrong"), choices=options(CORRECTABLE_LABELS), validators=[InputRequired(REQUIRED)])
    value = StringField(
        _l("What it should be"), filters=[strip], validators=[DataRequired(REQUIRED), max_length(200), PlainText()]
    )


class FamilyLinkForm(FlaskForm):
    email = EmailField(
        _l("Your parent's or guardian's email"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), Email(_l("Enter an email address.")), max_length(254)],
    )
    language = RadioField(_l("Their language"), choices=options(LANGUAGE_OPTIONS), default="en")


class CloseAccountForm(FlaskForm):
    confirm = BooleanField(
        _l("I understand that my account and my records are deleted for good"),
        validators=[DataRequired(_l("Tick the box to close your account."))],
    )


class ParentRequestForm(FlaskForm):
    email = EmailField(
        _l("Your email"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), Email(_l("Enter an email address.")), max_length(254)],
    )


class StepForm(FlaskForm):
    note = TextAreaField(_l("Note to the family (optional)"), filters=[strip], validators=[max_length(2000)])


class IncidentForm(FlaskForm):
    title = StringField(_l("What happened"), filters=[strip], validators=[DataRequired(REQUIRED), max_length(200)])
    discovered_on = required_date(_l("Day the district learned of it"))
    window_start = required_date(_l("First day of the breach"))
    window_end = required_date(_l("Last day of the breach"))
    data_involved = TextAreaField(
        _l("Data involved"), filters=[strip], validators=[DataRequired(REQUIRED), max_length(2000)]
    )
    operator_name = StringField(_l("Operator involved (if any)"), filters=[strip], validators=[max_length(200)])
