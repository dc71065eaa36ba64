"""The data model. Importing this package registers every table with the metadata."""

from cpspartners.models.audit import AuditEntry, ChangeRequest, ImportRun
from cpspartners.models.consent import Consent, ConsentEligibility, Disclosure, PartnerDataAgreement
from cpspartners.models.engagement import Dismissal, SavedOpportunity, StudentProfile, TeacherProfile
from cpspartners.models.events import EventSignup
from cpspartners.models.geo import CommunityArea, School
from cpspartners.models.licences import LicenceRequest
from cpspartners.models.newsletter import (
    Newsletter,
    NewsletterDelivery,
    NewsletterItem,
    NewsletterStory,
    NewsletterSubscriber,
)
from cpspartners.models.opportunity import Opportunity, OpportunityCluster, OpportunityTag, opportunity_school
from cpspartners.models.outcomes import Credential, Feedback
from cpspartners.models.partner import Partner, Verification, VettingRecord, partner_area
from cpspartners.models.people import User
from cpspartners.models.places import Place
from cpspartners.models.pools import SeatAllocation, SeatAssignment, SeatPool, SeatWaitlistEntry
from cpspartners.models.privacy import (
    AnonymisedOutcome,
    DeletionCertificate,
    FamilyLink,
    Incident,
    RightsRequest,
)
from cpspartners.models.record import RecordShare
from cpspartners.models.relationships import Contact, FollowUp, Prospect, contact_staff
from cpspartners.models.search import DirectoryVersion, IndexOutbox
from cpspartners.models.second_factor import RecoveryCode
from cpspartners.models.workflow import Application, Message, Notification, VisitRequest

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
    "DirectoryVersion",
    "IndexOutbox",
    "ImportRun",
    "SeatPool",
    "SeatAllocation",
    "SeatAssignment",
    "SeatWaitlistEntry",
    "Newsletter",
    "NewsletterDelivery",
    "NewsletterItem",
    "NewsletterSubscriber",
    "NewsletterStory",
    "LicenceRequest",
    "Place",
    "Application",
    "Message",
    "Notification",
    "VisitRequest",
    "Credential",
    "Feedback",
    "AuditEntry",
    "ChangeRequest",
    "StudentProfile",
    "TeacherProfile",
    "Dismissal",
    "SavedOpportunity",
    "Consent",
    "ConsentEligibility",
    "Disclosure",
    "PartnerDataAgreement",
    "RecoveryCode",
    "AnonymisedOutcome",
    "DeletionCertificate",
    "FamilyLink",
    "Incident",
    "RightsRequest",
    "EventSignup",
    "RecordShare",
    "Contact",
    "FollowUp",
    "Prospect",
    "contact_staff",
]
