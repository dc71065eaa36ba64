"""Picking a partner by name in a form, instead of a drop-down of every partner.

The directory holds thousands of partners: a drop-down of all of them made each page that had
one 300 KB or more (the registration page, which students load too, was 340 KB) and was
unusable. A form has a text field for the name and a radio list of the partners that match:
an exact name (case aside) is chosen at once, otherwise the closest partners from the search
index are offered to choose from. Works without JavaScript.
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from wtforms.validators import ValidationError

from cpspartners import search
from cpspartners.extensions import db
from cpspartners.formtools import chosen_values, options
from cpspartners.models import Partner
from cpspartners.taxonomy import PARTNER_ACTIVE
from cpspartners.text import clean_query

MAX_OFFERED = 10


MAX_NAME = 200


def _clean(name):
    """What was typed, made safe to query with (it runs before the form is validated, so it takes
    anything; the form then says what is wrong), spaces collapsed for comparing names."""
    return clean_query(name, MAX_NAME)


def offered(name, statuses=(PARTNER_ACTIVE,), limit=MAX_OFFERED):
    """Partners for what was typed: exact names (case aside) if any, else the search index's best
    (active partners), then names containing the words among the other ``statuses``."""
    name = _clean(name)
    if not name:
        return []
    exact = list(
        db.session.scalars(
            select(Partner)
            .where(Partner.status.in_(statuses), func.lower(Partner.name) == name.lower())
            .order_by(Partner.id)
            .limit(limit)
        )
    )
    if exact:
        return exact
    found = search.find_partners(name, limit) if PARTNER_ACTIVE in statuses else []
    others = [status for status in statuses if status != PARTNER_ACTIVE]
    if others:  # pending partners are not in the search index
        found += search.partners_named(name, others, limit - len(found))
    return found


def only_exact(name, partners):
    """The one partner whose name is what was typed (case aside), or None."""
    name = _clean(name).lower()
    exact = [partner for partner in partners if partner.name.lower() == name]
    return exact[0] if len(exact) == 1 else None


def prepare(name_field, id_field, statuses=(PARTNER_ACTIVE,)):
    """Offer the partners matching ``name_field`` as ``id_field``'s choices, and choose the one
    whose name was typed exactly when none was chosen. Returns the partners offered."""
    partners = offered(name_field.data, statuses)
    id_field.choices = options([(partner.id, partner.name) for partner in partners])
    exact = only_exact(name_field.data, partners)
    if not id_field.data and exact is not None:
        id_field.data = exact.id
    return partners


def check_name(field, id_field, empty_message, can_propose=False):
    """For a form's ``validate_<name field>``: something typed, and something found for it."""
    if not field.data:
        raise ValidationError(empty_message)
    if not id_field.choices and can_propose:
        raise ValidationError(
            _l(
                "We found no organization called “%(name)s” in the directory. Check the "
                "spelling, or propose it as a new organization.",
                name=field.data,
            )
        )
    if not id_field.choices:
        raise ValidationError(
            _l("We found no organization called “%(name)s” in the directory. Check the spelling.", name=field.data)
        )


def check_choice(field, none_chosen_message):
    """For a form's ``validate_<id field>``: one of the partners offered, and one when any were."""
    if field.data and field.data not in chosen_values(field):
        raise ValidationError(_l("Choose an organization from the list."))
    if not field.data and field.choices:
        raise ValidationError(none_chosen_message)
