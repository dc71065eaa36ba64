"""Which organization a new partner-staff member belongs to, from the name they type.

The directory holds thousands of partners: a drop-down of all of them made the registration page
340 KB for everyone (students included) and was unusable. Staff type their organization's name;
an exact match (case aside) is taken at once, otherwise the search index offers the closest
active partners to choose from, and they can still propose a new organization.
"""

from sqlalchemy import func, select

from .. import search
from ..extensions import db
from ..models import Partner

MAX_OFFERED = 10


def offered(name, limit=MAX_OFFERED):
    """Active partners for what was typed: exact names (case aside) if any, else the index's best."""
    name = " ".join((name or "").split())
    if not name:
        return []
    exact = list(db.session.scalars(select(Partner).where(
        Partner.status == "active", func.lower(Partner.name) == name.lower()).order_by(Partner.id).limit(limit)))
    return exact or search.find_partners(name, limit)


def only_exact(name, partners):
    """The one partner whose name is what was typed (case aside), or None."""
    name = " ".join((name or "").split()).lower()
    exact = [partner for partner in partners if partner.name.lower() == name]
    return exact[0] if len(exact) == 1 else None
