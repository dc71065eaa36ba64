"""The data model. Importing this package registers every table with the metadata."""

from .engagement import Dismissal, SavedOpportunity, StudentProfile, TeacherProfile
from .geo import CommunityArea, School
from .opportunity import Opportunity, OpportunityCluster, OpportunityTag, opportunity_school
from .partner import Partner, Verification, VettingRecord, partner_area
from .people import User

__all__ = [
    "CommunityArea", "School", "Opportunity", "OpportunityCluster", "OpportunityTag",
    "opportunity_school", "Partner", "Verification", "VettingRecord", "partner_area", "User",
    "StudentProfile", "TeacherProfile", "Dismissal", "SavedOpportunity",
]
