"""Forms for managing accounts."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField

from ..formtools import options
from ..taxonomy import ROLES

STAFF_ROLES = [(code, label) for code, label in ROLES if code != "student"]


class RoleForm(FlaskForm):
    role = SelectField(_l("Role"), choices=options(STAFF_ROLES))
    partner_id = SelectField(_l("Partner (for partner staff)"), coerce=int, validate_choice=False)
    active = BooleanField(_l("Account is active"))
