"""Forms of the specialists' toolkit pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    DateField,
    DecimalField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from cpspartners import partner_lookup
from cpspartners.formtools import PlainText, options, strip

IMPORT_KINDS = (("partners", _l("Partners")), ("opportunities", _l("Opportunities")))
LANGUAGE_OPTIONS = (("en", _l("English")), ("es", _l("Spanish")))
AUDIENCE_OPTIONS = (("students", _l("Students")), ("teachers", _l("Teachers")), ("families", _l("Families")))
SCOPE_OPTIONS = (
    ("citywide", _l("Citywide")),
    ("school", _l("One school")),
    ("network", _l("One network")),
    ("area", _l("One community area")),
)
CREDENTIAL_OPTIONS = (
    ("certification", _l("Certification")),
    ("college_credit", _l("College credit")),
    ("other", _l("Other credential")),
)


def _length(n):
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


class ActionForm(FlaskForm):
    """A button that changes state: only the CSRF token."""


class ImportForm(FlaskForm):
    what = SelectField(_l("What the file holds"), choices=options(IMPORT_KINDS))
    file = FileField(
        _l("CSV file"),
        validators=[
            FileRequired(_l("Choose a CSV file.")),
            FileAllowed(["csv", "txt"], _l("Upload a .csv file (in Google Sheets: File > Download > CSV).")),
        ],
        description=_l("UTF-8 CSV with a header row, at most 2 MB."),
    )


class ImportCommitForm(FlaskForm):
    what = HiddenField()
    token = HiddenField()


class NewsletterForm(FlaskForm):
    subject = StringField(
        _l("Subject"), filters=[strip], validators=[DataRequired(_l("Write a subject.")), _length(200), PlainText()]
    )
    audience = SelectField(_l("Audience"), choices=options(AUDIENCE_OPTIONS))
    scope = SelectField(_l("Scope"), choices=options(SCOPE_OPTIONS))
    scope_value = StringField(
        _l("School id, network name or community area number"),
        filters=[strip],
        validators=[Optional(), _length(40), PlainText()],
        description=_l("Leave empty for citywide."),
    )
    language = SelectField(_l("Language"), choices=options(LANGUAGE_OPTIONS))


class NoteForm(FlaskForm):
    subject = StringField(
        _l("Subject"), filters=[strip], validators=[DataRequired(_l("Write a subject.")), _length(200), PlainText()]
    )
    note = TextAreaField(_l("Note at the top"), filters=[strip], validators=[Optional(), _length(2000), PlainText()])


class AddListingForm(FlaskForm):
    opportunity_id = IntegerField(
        _l("Listing number"),
        validators=[
            InputRequired(_l("Enter the number of a published listing.")),
            NumberRange(1, 2_000_000_000, _l("Enter the number of a published listing.")),
        ],
    )


class ItemForm(FlaskForm):
    opportunity_id = HiddenField()


class SubscribeForm(FlaskForm):
    email = EmailField(
        _l("Email address of a parent or guardian"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter an email address.")),
            Email(_l("Enter a valid email address.")),
            _length(254),
        ],
    )
    language = SelectField(_l("Language of the newsletter"), choices=options(LANGUAGE_OPTIONS))
    school_id = SelectField(_l("School (optional)"), coerce=int, validators=[Optional()])


class PoolForm(FlaskForm):
    name = StringField(
        _l("Name"), filters=[strip], validators=[DataRequired(_l("Write a name.")), _length(200), PlainText()]
    )
    name_es = StringField(_l("Name in Spanish"), filters=[strip], validators=[Optional(), _length(200), PlainText()])
    provider = StringField(
        _l("Provider"),
        filters=[strip],
        validators=[_length(200), PlainText()],
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
        validators=[_length(200), PlainText()],
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


class AssignForm(FlaskForm):
    student_email = EmailField(
        _l("Student account email"),
        filters=[strip],
        validators=[Optional(), Email(_l("Enter a valid email address.")), _length(254)],
        description=_l("For a student with an account. Otherwise fill in the family below."),
    )
    holder_name = StringField(_l("Family name"), filters=[strip], validators=[Optional(), _length(120), PlainText()])
    holder_email = EmailField(
        _l("Adult's email for reminders"),
        filters=[strip],
        validators=[Optional(), Email(_l("Enter a valid email address.")), _length(254)],
    )
    holder_language = SelectField(_l("Language for reminders"), choices=options(LANGUAGE_OPTIONS))


class CredentialForm(FlaskForm):
    application_id = SelectField(_l("Completed application"), coerce=int)
    kind = SelectField(_l("Kind"), choices=options(CREDENTIAL_OPTIONS))
    name = StringField(
        _l("Name of the credential"),
        filters=[strip],
        validators=[DataRequired(_l("Write the credential's name.")), _length(200), PlainText()],
    )
    credits = DecimalField(
        _l("College credits"), places=1, validators=[Optional(), NumberRange(0, 999, _l("Enter 0 to 999."))]
    )
    earned_on = DateField(
        _l("Earned on"),
        validators=[InputRequired(_l("Enter a date as YYYY-MM-DD."))],
        description=_l("Format: YYYY-MM-DD."),
    )
    evidence = TextAreaField(
        _l("Evidence"),
        filters=[strip],
        validators=[
            DataRequired(_l("Describe the evidence (certificate number, transcript, link).")),
            _length(2000),
            PlainText(),
        ],
    )
