"""cpspartners.relationships.forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Form, FormField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields import FieldList
from wtforms.validators import DataRequired, Email, Optional

from cpspartners.formtools import REQUIRED, PlainText, max_length, options, required_date, strip
from cpspartners.taxonomy import CONTACT_KINDS, PARTNER_KINDS

FOLLOW_UP_ROWS = 3


class FollowUpFields(Form):
    """One follow-up row; all empty means none."""

    task = StringField(_l("What is to be done"), filters=[strip], validators=[Optional(), max_length(300), PlainText()])
    due_on = DateField(_l("Due on"), validators=[Optional()], description=_l("Format: YYYY-MM-DD."))
    owner_id = SelectField(_l("Owner"), coerce=int, validate_choice=False)

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.task.data and not self.due_on.data:
            self.due_on.errors = [*self.due_on.errors, _l("Give the date it is due.")]
            ok = False
        if self.task.data and not self.owner_id.data:
            self.owner_id.errors = [*self.owner_id.errors, _l("Choose who owns it.")]
            ok = False
        return ok


class ContactForm(FlaskForm):
    kind = SelectField(_l("Kind of contact"), choices=options(CONTACT_KINDS))
    held_on = required_date(_l("Date"))
    staff_ids = SelectMultipleField(_l("CPS staff and partner staff who attended"), coerce=int)
    partner_attendees = StringField(
        _l("Others who attended (names and roles)"),
        filters=[strip],
        validators=[Optional(), max_length(500), PlainText()],
        description=_l("People without an account on the site. No students' names."),
    )
    notes = TextAreaField(
        _l("Notes: what was discussed and agreed"),
        filters=[strip],
        validators=[Optional(), max_length(10000), PlainText()],
    )
    follow_ups = FieldList(FormField(FollowUpFields), min_entries=FOLLOW_UP_ROWS, max_entries=FOLLOW_UP_ROWS)

    def set_people(self, attendees, owners):
        """Offer ``attendees`` and ``owners`` as (id, label) pairs."""
        self.staff_ids.choices = options(attendees)
        for row in self.follow_ups:
            row.form.owner_id.choices = options([(0, _l("Choose an owner"))] + list(owners))

    def drafts(self):
        """The filled-in follow-up rows as (task, due_on, owner_id)."""
        return [
            (row.form.task.data, row.form.due_on.data, row.form.owner_id.data)
            for row in self.follow_ups
            if row.form.task.data
        ]


class ProspectForm(FlaskForm):
    name = StringField(
        _l("Organization"), filters=[strip], validators=[DataRequired(REQUIRED), max_length(200), PlainText()]
    )
    kind = SelectField(_l("Kind of organization"), choices=options(PARTNER_KINDS), default="nonprofit")
    contact_name = StringField(
        _l("Contact person"), filters=[strip], validators=[Optional(), max_length(120), PlainText()]
    )
    contact_email = StringField(
        _l("Contact person's work email"),
        filters=[strip],
        validators=[Optional(), Email(_l("Enter a valid email address.")), max_length(254)],
    )
    notes = TextAreaField(_l("Notes"), filters=[strip], validators=[Optional(), max_length(10000), PlainText()])
