"""The data model. Importing this package registers every table with the metadata."""

from .audit import AuditEntry, ChangeRequest
from .engagement import Dismissal, SavedOpportunity, StudentProfile, TeacherProfile
from .geo import CommunityArea, School
from .newsletter import Newsletter, NewsletterDelivery, NewsletterItem, NewsletterSubscriber
from .outcomes import Credential, Feedback
from .opportunity import Opportunity, OpportunityCluster, OpportunityTag, opportunity_school
from .partner import Partner, Verification, VettingRecord, partner_area
from .people import User
from .search import IndexOutbox
from .workflow import Application, Message, Notification, SpeakerRequest
from .pools import SeatAllocation, SeatAssignment, SeatPool, SeatWaitlistEntry

__all__ = [
    "CommunityArea", "School", "Opportunity", "OpportunityCluster", "OpportunityTag",
    "opportunity_school", "Partner", "Verification", "VettingRecord", "partner_area", "User", "IndexOutbox",
    "SeatPool", "SeatAllocation", "SeatAssignment", "SeatWaitlistEntry",
    "Newsletter", "NewsletterDelivery", "NewsletterItem", "NewsletterSubscriber",
    "Application", "Message", "Notification", "SpeakerRequest", "Credential", "Feedback",
    "AuditEntry", "ChangeRequest",
    "StudentProfile", "TeacherProfile", "Dismissal", "SavedOpportunity",
]
