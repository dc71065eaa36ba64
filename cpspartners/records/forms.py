"""cpspartners.records.forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Optional

from cpspartners.formtools import PlainText, max_length, options, strip

DAYS_OPTIONS = ((7, _l("One week")), (30, _l("30 days")), (90, _l("90 days")))


class ShareForm(FlaskForm):
    days = SelectField(_l("The link works for"), coerce=int, choices=options(DAYS_OPTIONS), default=30)
    label = StringField(
        _l("Who it is for (only you see this)"),
        filters=[strip],
        validators=[Optional(), max_length(80), PlainText()],
        description=_l("For example: my counselor."),
    )
