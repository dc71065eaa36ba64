"""The partner profile and opportunity forms (server-side validation, clear messages)."""

import json
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from cpspartners.fieldrules import email_problem, phone_problem, tags_problem, url_problem
from cpspartners.formtools import PlainText, Rule, options, strip
from cpspartners.services.audit import jsonable
from cpspartners.services.listings import DATE_FIELDS, OPPORTUNITY_FIELDS, Seen, Stale
from cpspartners.taxonomy import (
    AUDIENCES,
    CAREER_CLUSTERS,
    GRADE_MAX,
    GRADE_MIN,
    LANGUAGES,
    MODALITIES,
    OPPORTUNITY_KINDS,
    PARTNER_KINDS,
)


def _text(label, max_length, required=False, area=False, description=None):
    validators = [DataRequired(_l("This field is required."))] if required else [Optional()]
    validators += [Length(max=max_length, message=_l("Use at most %(max)d characters.", max=max_length)), PlainText()]
    field = TextAreaField if area else StringField
    return field(label, filters=[strip], validators=validators, description=description)


def _area_field():
    return SelectField(_l("Community area"), coerce=int, validate_choice=False)


STALE_FORM = _l("This form is out of date. Open the page again and make your changes there.")


class Versioned:
    """Hidden fields saying what the form showed when it was opened (see ``listings.Seen``), so a
    save over someone else's newer one is refused instead of silently overwriting it."""

    version = HiddenField(_l("Form"), validators=[InputRequired(STALE_FORM)])
    loaded = HiddenField()
    request_token = HiddenField()

    def validate_version(self, field):
        if not str(field.data).isdigit():
            raise ValidationError(STALE_FORM)

    def stamp(self, version, values, request=""):
        """Record what the form shows: the subject's version, its values, the open request."""
        self.version.data = str(version)
        self.loaded.data = json.dumps({k: jsonable(v) for k, v in values.items()})
        self.request_token.data = request

    def seen(self):
        try:
            values = json.loads(self.loaded.data or "")
        except ValueError:
            values = None
        return Seen(
            version=int(self.version.data),
            request=self.request_token.data or "",
            values=values if isinstance(values, dict) else None,
        )

    def after_stale(self, error: Stale):
        """A fresh form of the same kind for the page that says the save was stale: fields the
        person changed keep their input, the others show the values saved since."""
        seen = self.seen().values
        posted = {k: jsonable(v) for k, v in self.values().items()}
        merged = {
            f: posted[f] if seen is None or f not in error.current or posted[f] != seen.get(f) else error.current[f]
            for f in posted
        }
        form = type(self)(formdata=None, data=form_data_from(merged))
        form.stamp(error.version, error.current, error.request)
        return form


class PartnerForm(Versioned, FlaskForm):
    name = _text(_l("Organization name"), 200, required=True)
    kind = SelectField(_l("Kind of organization"), choices=options(PARTNER_KINDS))
    mission = _text(_l("Mission (English)"), 4000, area=True)
    mission_es = _text(_l("Mission (Spanish)"), 4000, area=True)
    website = StringField(
        _l("Website"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=300),
            Rule(url_problem),
        ],
    )
    contact_email = EmailField(
        _l("Contact email"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=254),
            Rule(email_problem),
        ],
    )
    contact_phone = StringField(
        _l("Contact phone"), filters=[strip], validators=[Optional(), Length(max=20), Rule(phone_problem)]
    )
    address = _text(_l("Address"), 200)
    community_area_number = _area_field()
    languages = SelectMultipleField(_l("Languages spoken"), choices=options(LANGUAGES))

    def validate_community_area_number(self, field):
        if field.data and field.data not in range(1, 78):
            raise ValidationError(_l("Choose a community area from the list."))

    def values(self):
        return {
            "name": self.name.data,
            "kind": self.kind.data,
            "mission": self.mission.data or "",
            "mission_es": self.mission_es.data or "",
            "website": self.website.data or "",
            "contact_email": self.contact_email.data or "",
            "contact_phone": self.contact_phone.data or "",
            "address": self.address.data or "",
            "community_area_number": self.community_area_number.data or None,
            "languages": ",".join(self.languages.data or ["en"]),
        }


# Proposal fields the form does not hand over as typed (see OpportunityForm.values).
CONVERTED_FIELDS = ("community_area_number", "place_id", "languages", "clusters", "tags")
# Optional text: an empty box is stored as "", never None.
OPTIONAL_TEXT_FIELDS = (
    "title_es",
    "summary_es",
    "description",
    "description_es",
    "location_name",
    "address",
    "schedule",
    "schedule_es",
    "stipend",
)


class OpportunityForm(Versioned, FlaskForm):
    title = _text(_l("Title (English)"), 200, required=True)
    title_es = _text(_l("Title (Spanish)"), 200)
    kind = SelectField(_l("Kind of opportunity"), choices=options(OPPORTUNITY_KINDS))
    summary = _text(
        _l("Short summary (English)"),
        500,
        required=True,
        area=True,
        description=_l("One or two sentences shown in lists."),
    )
    summary_es = _text(_l("Short summary (Spanish)"), 500, area=True)
    description = _text(_l("Description (English)"), 10000, area=True)
    description_es = _text(_l("Description (Spanish)"), 10000, area=True)
    audience = SelectField(
        _l("Who it is for"),
        choices=options(AUDIENCES),
        description=_l(
            "Listings for students need a current agreement, insurance and background check before they are published."
        ),
    )
    grade_min = IntegerField(
        _l("Lowest grade"),
        default=6,
        validators=[
            InputRequired(_l("Enter a grade from 0 (kindergarten) to 12.")),
            NumberRange(GRADE_MIN, GRADE_MAX, _l("Enter a grade from 0 (kindergarten) to 12.")),
        ],
    )
    grade_max = IntegerField(
        _l("Highest grade"),
        default=12,
        validators=[
            InputRequired(_l("Enter a grade from 0 (kindergarten) to 12.")),
            NumberRange(GRADE_MIN, GRADE_MAX, _l("Enter a grade from 0 (kindergarten) to 12.")),
        ],
    )
    modality = SelectField(_l("Where it happens"), choices=options(MODALITIES))
    place_id = SelectField(
        _l("At a library, park or computer centre"),
        coerce=int,
        validate_choice=False,
        description=_l("Pick the place instead of typing its name and address below."),
    )
    location_name = _text(_l("Place name"), 200)
    address = _text(_l("Address"), 200)
    community_area_number = _area_field()
    starts_on = DateField(_l("Starts on"), validators=[Optional()], description=_l("Format: YYYY-MM-DD."))
    ends_on = DateField(_l("Ends on"), validators=[Optional()], description=_l("Format: YYYY-MM-DD."))
    deadline = DateField(_l("Apply by"), validators=[Optional()], description=_l("Leave empty for rolling admission."))
    schedule = _text(_l("Schedule (English)"), 300, description=_l("Days and times, for example: Tuesdays 4–6 pm."))
    schedule_es = _text(_l("Schedule (Spanish)"), 300)
    capacity = IntegerField(
        _l("Places available"),
        validators=[Optional(), NumberRange(0, 100000, _l("Enter a whole number from 0 to 100,000."))],
        description=_l("Leave empty for no limit."),
    )
    paid = BooleanField(_l("Paid"))
    stipend = _text(_l("Pay or stipend"), 120)
    transportation = BooleanField(_l("Transportation help provided"))
    languages = SelectMultipleField(_l("Languages"), choices=options(LANGUAGES))
    clusters = SelectMultipleField(_l("Career clusters"), choices=options(CAREER_CLUSTERS))
    tags = _text(_l("Interest tags"), 300, description=_l("Separated by commas, e.g. welding, robotics."))

    def validate_community_area_number(self, field):
        if field.data and field.data not in range(1, 78):
            raise ValidationError(_l("Choose a community area from the list."))

    def validate_place_id(self, field):
        from cpspartners.extensions import db
        from cpspartners.models import Place

        if field.data and db.session.get(Place, field.data) is None:
            raise ValidationError(_l("Choose a place from the list."))

    def validate_grade_max(self, field):
        if isinstance(self.grade_min.data, int) and isinstance(field.data, int) and field.data < self.grade_min.data:
            raise ValidationError(_l("The highest grade must not be below the lowest grade."))

    def validate_ends_on(self, field):
        if field.data and self.starts_on.data and field.data < self.starts_on.data:
            raise ValidationError(_l("The end date must be on or after the start date."))

    def validate_tags(self, field):
        problem = tags_problem(t.strip() for t in (field.data or "").split(","))
        if problem:
            raise ValidationError(problem)

    def values(self):
        """The proposal, in the fields and order of ``listings.OPPORTUNITY_FIELDS`` (a snapshot's)."""
        data = {name: self[name].data for name in OPPORTUNITY_FIELDS if name not in CONVERTED_FIELDS}
        for name in OPTIONAL_TEXT_FIELDS:
            data[name] = data[name] or ""
        data["community_area_number"] = self.community_area_number.data or None
        data["place_id"] = self.place_id.data or None
        data["languages"] = ",".join(self.languages.data or ["en"])
        # Sorted like the live row returns them, so an unchanged list never shows up as a change.
        data["clusters"] = sorted(set(self.clusters.data or []))
        data["tags"] = sorted({t.strip().lower() for t in (self.tags.data or "").split(",") if t.strip()})
        return {name: data[name] for name in OPPORTUNITY_FIELDS}


def form_data_from(values):
    """Turn stored values (live row or proposal) into form defaults."""
    data = dict(values)
    if "languages" in data and isinstance(data["languages"], str):
        data["languages"] = [c for c in data["languages"].split(",") if c]
    if "tags" in data and isinstance(data["tags"], list):
        data["tags"] = ", ".join(data["tags"])
    for name in DATE_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = date.fromisoformat(data[name])
    data["community_area_number"] = data.get("community_area_number") or 0
    data["place_id"] = data.get("place_id") or 0
    return data
