"""cpspartners.pools.forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional

from cpspartners import partner_lookup
from cpspartners.formtools import (
    LANGUAGE_OPTIONS,
    PlainText,
    max_length,
    options,
    page_language,
    strip,
)


class PoolForm(FlaskForm):
    name = StringField(
        _l("Name"), filters=[strip], validators=[DataRequired(_l("Write a name.")), max_length(200), PlainText()]
    )
    name_es = StringField(_l("Name in Spanish"), filters=[strip], validators=[Optional(), max_length(200), PlainText()])
    provider = StringField(
        _l("Provider"),
        filters=[strip],
        validators=[max_length(200), PlainText()],
        description=_l("The organization's name as the directory lists it."),
    )
    provider_id = RadioField(_l("Organizations that match"), coerce=int, validate_choice=False, choices=[])
    total_seats = IntegerField(
        _l("Seats or licences"),
        validators=[
            InputRequired(_l("Enter a number of seats.")),
            NumberRange(1, 1_000_000, _l("Enter 1 to 1,000,000.")),
        ],
    )
    validity_days = IntegerField(
        _l("Days each seat is valid"),
        default=120,
        validators=[InputRequired(_l("Enter a number of days.")), NumberRange(1, 3650, _l("Enter 1 to 3,650 days."))],
    )
    remind_days_before = IntegerField(
        _l("Remind this many days before expiry"),
        default=14,
        validators=[InputRequired(_l("Enter a number of days.")), NumberRange(0, 365, _l("Enter 0 to 365 days."))],
    )

    def validate_provider(self, field):
        partner_lookup.check_name(field, self.provider_id, _l("Type the provider's name."))

    def validate_provider_id(self, field):
        partner_lookup.check_choice(field, _l("Choose the provider from the list."))


class AllocationForm(FlaskForm):
    distributor = StringField(
        _l("Distributor"),
        filters=[strip],
        validators=[max_length(200), PlainText()],
        description=_l("The organization's name as the directory lists it."),
    )
    distributor_id = RadioField(_l("Organizations that match"), coerce=int, validate_choice=False, choices=[])
    seats = IntegerField(
        _l("Seats"),
        validators=[
            InputRequired(_l("Enter a number of seats.")),
            NumberRange(1, 1_000_000, _l("Enter 1 to 1,000,000.")),
        ],
    )

    def validate_distributor(self, field):
        partner_lookup.check_name(field, self.distributor_id, _l("Type the distributor's name."))

    def validate_distributor_id(self, field):
        partner_lookup.check_choice(field, _l("Choose the distributor from the list."))


FOR_WHOM = (
    ("family", _l("A family: reminders go to an adult's email")),
    ("student", _l("A student with an account: you get a code to give them")),
)


class AssignForm(FlaskForm):
    """A seat for a family (name and an adult's email) or a student (a name, and a code the
    student enters in their account). There is no field for a student's email: a partner must
    not learn whether an address belongs to a student."""

    # Not sent (an older page, a script): a family, which then needs an adult's email.
    for_whom = RadioField(_l("Who is the seat for?"), default="family", choices=options(FOR_WHOM))
    holder_name = StringField(
        _l("Name, as you know them"),
        filters=[strip],
        validators=[DataRequired(_l("Write the student's or the family's name.")), max_length(120), PlainText()],
    )
    holder_email = EmailField(
        _l("Adult's email for reminders (families)"),
        filters=[strip],
        validators=[Optional(), Email(_l("Enter a valid email address.")), max_length(254)],
    )
    holder_language = SelectField(
        _l("Language for reminders"), choices=options(LANGUAGE_OPTIONS), default=page_language
    )

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and self.for_whom.data == "family" and not self.holder_email.data:
            self.holder_email.errors = [_l("Give an adult's email for the family's reminders.")]
            return False
        return valid


class ClaimForm(FlaskForm):
    code = StringField(
        _l("Seat code"),
        filters=[strip],
        description=_l("The code the organization gave you, for example ABCDE-FGHJK."),
        validators=[DataRequired(_l("Type the code you were given.")), max_length(40), PlainText()],
    )
