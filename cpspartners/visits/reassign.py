"""Which organizations a specialist is offered when passing a teacher's request to another partner.

With thousands of partners a drop-down of all of them is unusable (and a large page), so the
specialist either searches (name, mission, neighborhood, through the search index) or starts
from suggestions: active partners with published classroom listings — in the same career
clusters as the requested listing when there is one — nearest to the teacher's school.
"""

from math import cos, radians

from sqlalchemy import case, exists, select

from cpspartners import search
from cpspartners.extensions import db
from cpspartners.models import Opportunity, OpportunityCluster, Partner
from cpspartners.visits.finder import CLASSROOM_KINDS

MAX_CHOICES = 25


def candidates(req, text="", limit=MAX_CHOICES):
    """Partners to offer for ``req``: matches for ``text`` when given, else suggestions; never
    the partner the request is with now."""
    if text:
        return [partner for partner in search.find_partners(text, limit + 1) if partner.id != req.partner_id][:limit]
    return suggested(req, limit)


def suggested(req, limit=MAX_CHOICES):
    """Active partners with a published classroom listing, nearest to the request's school first."""
    offers = select(Opportunity.id).where(
        Opportunity.partner_id == Partner.id, Opportunity.is_public, Opportunity.kind.in_(CLASSROOM_KINDS)
    )
    clusters = req.opportunity.clusters if req.opportunity is not None else []
    if clusters:
        offers = offers.where(
            exists().where(
                OpportunityCluster.opportunity_id == Opportunity.id, OpportunityCluster.cluster.in_(clusters)
            )
        )
    stmt = select(Partner).where(Partner.is_active, Partner.id != req.partner_id, exists(offers))
    school = req.school
    if school is not None and school.latitude is not None and school.longitude is not None:
        shrink = cos(radians(school.latitude))  # degrees of longitude are shorter away from the equator
        unknown = case((Partner.latitude.is_(None), 1), (Partner.longitude.is_(None), 1), else_=0)
        flat = (Partner.latitude - school.latitude) * (Partner.latitude - school.latitude) + (
            Partner.longitude - school.longitude
        ) * (Partner.longitude - school.longitude) * shrink * shrink
        stmt = stmt.order_by(unknown, flat)
    return list(db.session.scalars(stmt.order_by(Partner.name, Partner.id).limit(limit)))
