"""Forms for managing accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField
from wtforms.validators import Length

from cpspartners import partner_lookup
from cpspartners.formtools import PlainText, options, strip
from cpspartners.taxonomy import ROLES

STAFF_ROLES = [(code, label) for code, label in ROLES if code != "student"]


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=options(STAFF_ROLES))
    partner = StringField(
        _l("Partner (for partner staff)"),
        filters=[strip],
        validators=[Length(max=200, message=_l("Use at most 200 characters.")), PlainText()],
        description=_l("The organization's name as the directory lists it."),
    )
    partner_id = RadioField(_l("Organizations that match"), coerce=int, validate_choice=False, choices=[])
    active = BooleanField(_l("Account is active"))

    def validate_partner(self, field):
        if self.role.data == "partner_staff":
            partner_lookup.check_name(field, self.partner_id, _l("Type the name of the partner this person works for."))

    def validate_partner_id(self, field):
        if self.role.data == "partner_staff":
            partner_lookup.check_choice(field, _l("Choose the partner this person works for."))
