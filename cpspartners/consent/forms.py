"""Forms for consent, paper consent forms, the eligibility mark and data agreements."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired

from cpspartners.formtools import REQUIRED, PlainText, max_length, options, required_date, strip

GIVERS = (("parent", _l("A parent or guardian of the student")), ("student", _l("The student (an eligible student)")))
BASES = (
    ("age_18", _l("The student is 18 or older")),
    ("postsecondary", _l("The student attends a college or university")),
)


def _signer():
    return StringField(
        _l("Full name of the person giving consent"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), max_length(120), PlainText()],
        description=_l("Typing the name is the signature."),
    )


class GiveConsentForm(FlaskForm):
    given_by = RadioField(_l("Who is giving consent?"), choices=options(GIVERS), validators=[InputRequired(REQUIRED)])
    signer_name = _signer()
    agree = BooleanField(
        _l("I agree that this partner may see what is listed above, for this purpose, until I revoke it."),
        validators=[DataRequired(_l("Tick the box to give consent."))],
    )


class PaperConsentForm(FlaskForm):
    given_by = RadioField(_l("Who signed the form?"), choices=options(GIVERS), validators=[InputRequired(REQUIRED)])
    signer_name = _signer()
    signed_on = required_date(_l("Date signed"))


class EligibilityForm(FlaskForm):
    basis = SelectField(_l("Why the school marks the student eligible"), choices=options(BASES))


class AgreementForm(FlaskForm):
    version = StringField(
        _l("Agreement version"), filters=[strip], validators=[DataRequired(REQUIRED), max_length(40), PlainText()]
    )
    signer_name = StringField(
        _l("Signed for the partner by"),
        filters=[strip],
        validators=[DataRequired(REQUIRED), max_length(120), PlainText()],
    )
    signed_on = required_date(_l("Signed on"))
    expires_on = required_date(_l("Expires on"))
