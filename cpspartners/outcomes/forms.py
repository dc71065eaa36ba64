"""cpspartners.outcomes.forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DecimalField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from cpspartners.formtools import PlainText, max_length, options, required_date, strip
from cpspartners.models.outcomes import RUBRIC

CREDENTIAL_OPTIONS = (
    ("certification", _l("Certification")),
    ("college_credit", _l("College credit")),
    ("other", _l("Other credential")),
)


class CredentialForm(FlaskForm):
    application_id = SelectField(_l("Completed application"), coerce=int)
    kind = SelectField(_l("Kind"), choices=options(CREDENTIAL_OPTIONS))
    name = StringField(
        _l("Name of the credential"),
        filters=[strip],
        validators=[DataRequired(_l("Write the credential's name.")), max_length(200), PlainText()],
    )
    credits = DecimalField(
        _l("College credits"), places=1, validators=[Optional(), NumberRange(0, 999, _l("Enter 0 to 999."))]
    )
    earned_on = required_date(_l("Earned on"))
    evidence = TextAreaField(
        _l("Evidence"),
        filters=[strip],
        validators=[
            DataRequired(_l("Describe the evidence (certificate number, transcript, link).")),
            max_length(2000),
            PlainText(),
        ],
    )


RUBRIC_QUESTIONS = {
    "relevance": _l("How useful was this for what you are learning or teaching?"),
    "engagement": _l("How engaging was it?"),
    "organization": _l("How well organized was it?"),
    "recommend": _l("Would you recommend it to others?"),
}


RUBRIC_SCALE = options(
    [("1", _l("1 · Not at all")), ("2", _l("2 · A little")), ("3", _l("3 · Mostly")), ("4", _l("4 · Very much"))]
)


def _rating(question):
    """One rubric question, answered 1 to 4."""
    return RadioField(
        RUBRIC_QUESTIONS[question],
        choices=RUBRIC_SCALE,
        validators=[InputRequired(_l("Choose a rating from 1 to 4."))],
    )


class FeedbackForm(FlaskForm):
    relevance = _rating("relevance")
    engagement = _rating("engagement")
    organization = _rating("organization")
    recommend = _rating("recommend")
    comment = TextAreaField(
        _l("Anything else? (optional)"), filters=[strip], validators=[Optional(), max_length(4000), PlainText()]
    )

    def ratings(self):
        return {item: int(getattr(self, item).data) for item in RUBRIC}
