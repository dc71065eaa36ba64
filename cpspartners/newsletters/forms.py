"""cpspartners.newsletters.forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, InputRequired, NumberRange, Optional

from cpspartners.formtools import (
    LANGUAGE_OPTIONS,
    PlainText,
    SchoolField,
    max_length,
    options,
    page_language,
    strip,
)

AUDIENCE_OPTIONS = (
    ("students", _l("Students")),
    ("teachers", _l("Teachers")),
    ("families", _l("Families")),
    ("partners", _l("Partners (their approved staff)")),
    ("schools", _l("Schools (their teachers)")),
)


SCOPE_OPTIONS = (
    ("citywide", _l("Citywide")),
    ("school", _l("One school")),
    ("network", _l("One network")),
    ("area", _l("One community area")),
)


class NewsletterForm(FlaskForm):
    subject = StringField(
        _l("Subject"), filters=[strip], validators=[DataRequired(_l("Write a subject.")), max_length(200), PlainText()]
    )
    audience = SelectField(_l("Audience"), choices=options(AUDIENCE_OPTIONS))
    scope = SelectField(_l("Scope"), choices=options(SCOPE_OPTIONS))
    scope_value = StringField(
        _l("School, network or community area, by name"),
        filters=[strip],
        # A school's full name is long; what is stored is its number (``resolve_scope``).
        validators=[Optional(), max_length(200), PlainText()],
        description=_l("Leave empty for citywide."),
    )
    language = SelectField(_l("Language"), choices=options(LANGUAGE_OPTIONS), default=page_language)


class NoteForm(FlaskForm):
    subject = StringField(
        _l("Subject"), filters=[strip], validators=[DataRequired(_l("Write a subject.")), max_length(200), PlainText()]
    )
    note = TextAreaField(_l("Note at the top"), filters=[strip], validators=[Optional(), max_length(2000), PlainText()])


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
            max_length(254),
        ],
    )
    language = SelectField(_l("Language of the newsletter"), choices=options(LANGUAGE_OPTIONS), default=page_language)
    school_id = SchoolField(_l("School (optional)"))


class StoryForm(FlaskForm):
    title = StringField(
        _l("Story title"),
        filters=[strip],
        validators=[DataRequired(_l("Write a title.")), max_length(200), PlainText()],
    )
    body = TextAreaField(
        _l("Story text"),
        filters=[strip],
        validators=[DataRequired(_l("Write the story.")), max_length(1500), PlainText()],
        description=_l("A short text, up to 1,500 characters."),
    )
    image = FileField(_l("Image (optional)"), description=_l("PNG or JPEG, under 1 MB. Its metadata is removed."))
    image_alt = StringField(
        _l("What the image shows"),
        filters=[strip],
        validators=[Optional(), max_length(200), PlainText()],
        description=_l("For readers who cannot see it. Needed with an image."),
    )
    names_student = BooleanField(_l("The story or the image names or shows a student"))
    consent_by = StringField(
        _l("Who gave consent"),
        filters=[strip],
        validators=[Optional(), max_length(120), PlainText()],
        description=_l("The parent or guardian (or the student, if 18 or older)."),
    )
    consent_confirmed = BooleanField(_l("I have their consent to name or show the student in this newsletter"))
