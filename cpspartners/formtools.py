"""Validators and helpers shared by every form."""

from collections.abc import Callable

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import DateField, Field, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, StopValidation, ValidationError
from wtforms.widgets import html_params

from cpspartners import school_lookup
from cpspartners.fieldrules import plain_text_problem


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


class SchoolInput:
    """A text box for a school, the same as the list and search filters': the suggestion script
    (static/js/search-suggest.js) fills its ``<datalist>`` as one types. When what was typed
    matched several schools, the server fills the datalist with them and lists them below the
    box, so they can be chosen (or copied) without JavaScript."""

    def __call__(self, field, **kwargs):
        kwargs.setdefault("id", field.id)
        options_id = f"{kwargs['id']}-options"
        matches = field.choice.matches if field.choice else []
        if matches:  # the names the error points to
            described = f"{kwargs.pop('aria-describedby', '')} {kwargs['id']}-matches"
            kwargs["aria-describedby"] = described.strip()
        box = html_params(
            type="text",
            name=field.name,
            value=field._value(),
            list=options_id,
            autocomplete="off",
            maxlength=school_lookup.MAX_TYPED,
            data_suggest=url_for("directory.school_suggest"),
            **kwargs,
        )
        offered = "".join(f'<option value="{escape(name)}">' for _sid, name in matches)
        html = f'<input {box}><datalist id="{options_id}">{offered}</datalist>'
        if matches:
            names = "".join(f"<li>{escape(name)}</li>" for _sid, name in matches)
            html += f'<ul class="school-matches" id="{kwargs["id"]}-matches">{names}</ul>'
        return Markup(html)


class SchoolField(Field):
    """A school chosen by typing its name or its CPS id, instead of a drop-down of all 652.

    What was typed is resolved by ``school_lookup.resolve`` (the rule the filters use); ``data``
    is the school's id, or None when nothing was typed. Text that matches several schools, or
    none, is an error on the field; whether a school is required is the form's to say (a
    validator, or ``validate_<name>``). Shown with an id (a student's current school), the box
    holds the school's name. A "0" is read as nothing typed: the old drop-down's placeholder.
    """

    widget = SchoolInput()

    def __init__(self, label=None, validators=None, description=_l("Type part of the school's name."), **kwargs):
        super().__init__(label, validators, description=description, **kwargs)
        self.choice = None

    def process_formdata(self, valuelist):
        typed = valuelist[0] if valuelist and isinstance(valuelist[0], str) else ""
        self.choice = school_lookup.resolve("" if typed.strip() == "0" else typed)
        self.data = self.choice.school_id

    def _value(self):
        if self.choice is not None and self.choice.typed:
            return self.choice.name or self.choice.typed
        if self.data:
            return school_lookup.resolve(str(self.data)).name or str(self.data)
        return ""

    def pre_validate(self, form):
        choice = self.choice
        if choice is None or choice.school_id is not None or not choice.typed:
            return
        if choice.matches:
            message = _l(
                "Several schools match \u201c%(typed)s\u201d. Choose one of the names below, or type more of the name.",
                typed=choice.typed,
            )
        elif choice.typed.isdigit():
            message = _l("No school has the CPS id %(typed)s. Type the school's name instead.", typed=choice.typed)
        else:
            message = choice.note
        raise StopValidation(message)


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
