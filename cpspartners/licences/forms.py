"""cpspartners.licences.forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Optional

from cpspartners.formtools import LANGUAGE_OPTIONS, PlainText, max_length, options, strip


class LicenceRequestForm(FlaskForm):
    """The least a distributor needs: who the licence is for, where to write, in which language.
    The community area is optional and only counted (the specialists' report by area)."""

    allocation_id = SelectField(
        _l("Organization to ask"), coerce=int, validators=[InputRequired(_l("Choose an organization."))]
    )
    name = StringField(
        _l("Name of the adult the licence is for"),
        filters=[strip],
        validators=[DataRequired(_l("Write the name the licence is for.")), max_length(120), PlainText()],
    )
    email = EmailField(
        _l("Email address of that adult"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Email(_l("Enter a valid email address.")),
            max_length(254),
        ],
        description=_l("We send a link to confirm first. The licence and its reminders go to this address."),
    )
    language = SelectField(_l("Language we write to you in"), choices=options(LANGUAGE_OPTIONS))
    area = SelectField(
        _l("Your community area (optional)"),
        coerce=int,
        validators=[Optional()],
        validate_choice=False,  # the service checks the area, with words the family understands
        description=_l("Only counted, so the district sees which neighborhoods the licences reach."),
    )
