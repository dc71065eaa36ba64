"""The data model. Importing this package registers every table with the metadata."""

from .audit import AuditEntry, ChangeRequest
from .engagement import Dismissal, SavedOpportunity, StudentProfile, TeacherProfile
from .geo import CommunityArea, School
from .newsletter import Newsletter, NewsletterDelivery, NewsletterItem, NewsletterSubscriber
from .opportunity import Opportunity, OpportunityCluster, OpportunityTag, opportunity_school
from .outcomes import Credential, Feedback
from .partner import Partner, Verification, VettingRecord, partner_area
from .people import User
from .pools import SeatAllocation, SeatAssignment, SeatPool, SeatWaitlistEntry
from .search import IndexOutbox
from .workflow import Application, Message, Notification, SpeakerRequest

__all__ = [
    "CommunityArea",
    "School",
    "Opportunity",
    "OpportunityCluster",
    "OpportunityTag",
    "opportunity_school",
    "Partner",
    "Verification",
    "VettingRecord",
    "partner_area",
    "User",
    "IndexOutbox",
    "SeatPool",
    "SeatAllocation",
    "SeatAssignment",
    "SeatWaitlistEntry",
    "Newsletter",
    "NewsletterDelivery",
    "NewsletterItem",
    "NewsletterSubscriber",
    "Application",
    "Message",
    "Notification",
    "SpeakerRequest",
    "Credential",
    "Feedback",
    "AuditEntry",
    "ChangeRequest",
    "StudentProfile",
    "TeacherProfile",
    "Dismissal",
    "SavedOpportunity",
]
