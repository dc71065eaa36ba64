"""The data model. Importing this package registers every table with the metadata."""

from .geo import CommunityArea, School
from .opportunity import Opportunity, OpportunityCluster, OpportunityTag, opportunity_school
from .partner import Partner, Verification, VettingRecord, partner_area
from .people import User
from .search import IndexOutbox

__all__ = [
    "CommunityArea", "School", "Opportunity", "OpportunityCluster", "OpportunityTag",
    "opportunity_school", "Partner", "Verification", "VettingRecord", "partner_area", "User", "IndexOutbox",
]
