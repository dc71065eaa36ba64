"""Validators and helpers shared by every form."""

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from cpspartners.fieldrules import plain_text_problem
from cpspartners.models.queries import school_choices


class PlainText:
    """Text only: no HTML tags (``<script>``...), no invisible control characters.

    Accents and right-to-left scripts are welcome; they are just text.
    """

    def __call__(self, form, field):
        value = field.data or ""
        problem = plain_text_problem(value) if isinstance(value, str) else None
        if problem:
            raise ValidationError(problem)


class Rule:
    """A field checked by one of ``fieldrules``' functions, the same one imports call."""

    def __init__(self, problem: Callable[[str], object]):
        self.problem = problem

    def __call__(self, form, field):
        value = field.data
        problem = self.problem(value) if isinstance(value, str) and value else None
        if problem:
            raise ValidationError(problem)


def options(pairs):
    """WTForms choices from (value, label, ...) pairs (plain tuples are deprecated in WTForms 3.3)."""
    return [SelectChoice(pair[0], pair[-1]) for pair in pairs]


def chosen_values(field):
    """The real values a select offers, leaving out the "Choose..." placeholder (0 or "")."""
    return {choice.value for choice in field.choices if choice.value}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def school_options():
    """A school select's choices: "Choose a school" (0), then every school by name."""
    return options([(0, _l("Choose a school"))] + list(school_choices()))


def required_date(label):
    """A date that must be given, typed as the browser's date box sends it (YYYY-MM-DD)."""
    return DateField(
        label,
        validators=[InputRequired(_l("Enter a date as YYYY-MM-DD."))],
        description=_l("Format: YYYY-MM-DD."),
    )


def max_length(n):
    """A Length validator whose message says the limit in the reader's language."""
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


LANGUAGE_OPTIONS = (("en", _l("English")), ("es", _l("Spanish")))


def page_language():
    """The page's language as a drop-down's default: a Spanish reader is offered Spanish first."""
    from flask_babel import get_locale

    locale = str(get_locale() or "en")
    return locale if locale in ("en", "es") else "en"


class ActionForm(FlaskForm):
    """A button that changes state: nothing to fill in but the CSRF token."""


REQUIRED = _l("This field is required.")


class MessageForm(FlaskForm):
    body = TextAreaField(
        _l("Your message"), filters=[strip], validators=[DataRequired(REQUIRED), max_length(4000), PlainText()]
    )
