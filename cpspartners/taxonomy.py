"""The shared vocabulary: opportunity kinds, partner kinds, career clusters, statuses.

Each entry is (code, label). Labels are lazy translations, so they render in the reader's
language wherever they are shown. Codes are what the database stores.
"""

from flask_babel import lazy_gettext as _l

OPPORTUNITY_KINDS = (
    ("internship", _l("Internship")),
    ("job_shadow", _l("Job shadow / work-based learning")),
    ("skilled_trades", _l("Skilled-trades program")),
    ("team_challenge", _l("Team challenge")),
    ("guest_speaker", _l("Guest speaker")),
    ("workshop", _l("Workshop")),
    ("field_trip", _l("Field trip / site visit")),
    ("certification", _l("Certification or credential program")),
    ("early_college", _l("Early college / dual credit")),
    ("civic_project", _l("Civic \u201cInquiry to Action\u201d project")),
    ("mentoring", _l("Mentoring")),
    ("community_event", _l("Community event")),
    ("digital_literacy", _l("Digital access and digital-literacy training")),
    ("adult_upskilling", _l("Adult upskilling and career certificates")),
)

PARTNER_KINDS = (
    ("cbo", _l("Community-based organization")),
    ("nonprofit", _l("Nonprofit")),
    ("employer", _l("Business / employer")),
    ("college", _l("College / university")),
    ("philanthropy", _l("Philanthropy")),
    ("government", _l("Government / civic")),
    ("union", _l("Union / apprenticeship")),
)

# The 14 clusters of the 2024 National Career Clusters Framework (data/career_clusters_2024.csv).
# The code is the Framework's six-digit cluster code; the test suite checks this list against it.
CAREER_CLUSTERS = (
    ("010100", "Advanced Manufacturing", _l("Advanced Manufacturing")),
    ("010200", "Construction", _l("Construction")),
    ("010300", "Supply Chain & Transportation", _l("Supply Chain & Transportation")),
    ("020100", "Arts, Entertainment & Design", _l("Arts, Entertainment & Design")),
    ("020200", "Hospitality, Events & Tourism", _l("Hospitality, Events & Tourism")),
    ("030100", "Financial Services", _l("Financial Services")),
    ("040100", "Education", _l("Education")),
    ("040200", "Healthcare & Human Services", _l("Healthcare & Human Services")),
    ("040300", "Public Service & Safety", _l("Public Service & Safety")),
    ("050100", "Agriculture", _l("Agriculture")),
    ("050200", "Energy & Natural Resources", _l("Energy & Natural Resources")),
    ("060100", "Digital Technology", _l("Digital Technology")),
    ("060200", "Management & Entrepreneurship", _l("Management & Entrepreneurship")),
    ("060300", "Marketing & Sales", _l("Marketing & Sales")),
)
CLUSTER_BY_NAME = {name: code for code, name, _label in CAREER_CLUSTERS}

# Rows of the made-up demo directory carry external ids that start with this (``flask seed
# demo`` writes them, ``demo-p-00001``): the pages mark them "Demo" so nobody takes one for real.
DEMO_ID_PREFIX = "demo-"

AUDIENCE_STUDENTS = "students"  # the audience the vetting gate covers (``audience_needs_vetting``)
AUDIENCES = (
    (AUDIENCE_STUDENTS, _l("Students")),
    ("classrooms", _l("Classrooms and teachers")),
    ("families", _l("Families")),
)

# The city's learning places (``models.places``), by kind.
PLACE_KINDS = (
    ("library", _l("Library branch")),
    ("park", _l("Park")),
    ("tech_centre", _l("Computer and training centre")),
)

MODALITIES = (
    ("in_person", _l("In person")),
    ("virtual", _l("Virtual")),
    ("hybrid", _l("In person and virtual")),
)

# The states code acts on, by name; the tuples below give each its label. Who may see what is
# decided from them in one place only: ``Partner.is_active`` and ``Opportunity.is_public``.
PARTNER_PENDING, PARTNER_ACTIVE, PARTNER_INACTIVE = "pending", "active", "inactive"
OPPORTUNITY_DRAFT, OPPORTUNITY_PENDING_REVIEW = "draft", "pending_review"
OPPORTUNITY_PUBLISHED, OPPORTUNITY_ARCHIVED = "published", "archived"

PARTNER_STATUSES = (
    (PARTNER_PENDING, _l("Pending")),
    (PARTNER_ACTIVE, _l("Active")),
    (PARTNER_INACTIVE, _l("Inactive")),
)

OPPORTUNITY_STATUSES = (
    (OPPORTUNITY_DRAFT, _l("Draft")),
    (OPPORTUNITY_PENDING_REVIEW, _l("Pending review")),
    (OPPORTUNITY_PUBLISHED, _l("Published")),
    (OPPORTUNITY_ARCHIVED, _l("Archived")),
)

REVIEW_STATUSES = (
    ("pending", _l("Waiting for review")),
    ("changes_requested", _l("Changes requested")),
    ("approved", _l("Approved")),
    ("rejected", _l("Rejected")),
    ("withdrawn", _l("Withdrawn")),
)

# What the audit log records, as (code, label): the codes are stored, the labels shown.
AUDIT_SUBJECTS = (
    ("partner", _l("Partner")),
    ("opportunity", _l("Opportunity")),
    ("vetting_record", _l("Vetting record")),
    ("user", _l("Account")),
    ("student_record", _l("Student record")),
    ("change_request", _l("Change request")),
)

AUDIT_ACTIONS = (
    ("registered", _l("Registered")),
    ("proposed", _l("Proposed")),
    ("password_reset", _l("Password changed")),
    ("updated_profile", _l("Profile updated")),
    ("approved_account", _l("Account approved")),
    ("revoked_approval", _l("Approval withdrawn")),
    ("changed_role", _l("Role changed")),
    ("created_account", _l("Account created")),
    ("submitted", _l("Sent for review")),
    ("revised", _l("Revised a request waiting for review")),
    ("created", _l("Created")),
    ("updated", _l("Updated")),
    ("deleted", _l("Deleted")),
    ("approved", _l("Approved")),
    ("requested_changes", _l("Changes requested")),
    ("rejected", _l("Rejected")),
    ("verified", _l("Verified")),
    ("archived", _l("Archived")),
    ("restored", _l("Restored")),
    ("merged", _l("Merged a duplicate in")),
    ("merged_into", _l("Merged into another partner")),
    ("moved", _l("Moved to another partner")),
    ("viewed", _l("Viewed")),
    ("exempted", _l("Vetting exemption recorded")),
    ("unexempted", _l("Vetting exemption removed")),
    ("credential_claimed", _l("Credential recorded for a student")),
    ("consent_given", _l("Consent given")),
    ("consent_revoked", _l("Consent revoked")),
    ("marked_eligible", _l("Marked an eligible student")),
    ("unmarked_eligible", _l("Eligible-student mark removed")),
    ("agreement_recorded", _l("Data agreement recorded")),
    ("disclosure_refused", _l("Details withheld: no consent or agreement")),
    ("two_factor_enrolled", _l("Second step set up")),
    ("recovery_code_used", _l("Recovery code used")),
    ("recovery_codes_renewed", _l("New recovery codes")),
    ("two_factor_reset", _l("Second step reset by an administrator")),
    ("ended_sessions", _l("Sessions ended")),
    ("exported", _l("Exported")),
    ("shared", _l("Shared by the student with a link")),
    ("share_revoked", _l("Link stopped by the student")),
    ("viewed_by_link", _l("Opened with the student's link")),
    ("family_link_confirmed", _l("Family link confirmed")),
    ("corrected", _l("Student record corrected")),
    ("rights_received", _l("Privacy request received")),
    ("rights_decided", _l("Privacy request accepted")),
    ("rights_corrected", _l("Privacy request: record corrected")),
    ("rights_denied", _l("Privacy request denied")),
    ("rights_confirmed", _l("Privacy request: family told")),
    ("rights_fulfilled", _l("Privacy request carried out")),
    ("rights_withdrawn", _l("Privacy request withdrawn")),
)

# What a family asked for under FERPA/SOPPA (``RightsRequest.kind``).
RIGHTS_KIND_LABELS = {"access": _l("Copy of records"), "correction": _l("Correction"), "deletion": _l("Deletion")}
RIGHTS_STATE_LABELS = {
    "received": _l("Received"),
    "decided": _l("Accepted, to be corrected"),
    "corrected": _l("Corrected"),
    "denied": _l("Denied"),
    "confirmed": _l("Family told"),
    "fulfilled": _l("Done"),
    "withdrawn": _l("Withdrawn"),
}

VETTING_KINDS = (
    ("agreement", _l("Partnership agreement / MOU")),
    ("insurance", _l("Certificate of insurance")),
    ("background_check", _l("Background check")),
)

VERIFICATION_METHODS = (
    ("call", _l("Phone call")),
    ("site_visit", _l("Site visit")),
    ("attestation", _l("Partner attestation")),
)

ROLES = (
    ("student", _l("Student")),
    ("teacher", _l("Teacher")),
    ("partner_staff", _l("Partner staff")),
    ("specialist", _l("Partnership specialist")),
    ("admin", _l("Administrator")),
)

LANGUAGES = (
    ("en", _l("English")),
    ("es", _l("Spanish")),
    ("pl", _l("Polish")),
    ("zh", _l("Chinese")),
    ("ar", _l("Arabic")),
    ("asl", _l("American Sign Language")),
)

# Grades the site serves: students in grades 6 to 12. Opportunities may reach down to K (0).
GRADE_MIN, GRADE_MAX = 0, 12
STUDENT_GRADES = tuple(range(6, 13))

# Interest tags: the code is stored (and matched against listings' tags); the label is shown.
# The labels are English words too, so a tag reads the same in English as its code.
INTEREST_TAGS = (
    "welding",
    "robotics",
    "coding",
    "cybersecurity",
    "nursing",
    "medicine",
    "law",
    "journalism",
    "film",
    "music",
    "visual arts",
    "dance",
    "theater",
    "cooking",
    "baking",
    "carpentry",
    "electrical",
    "plumbing",
    "automotive",
    "aviation",
    "architecture",
    "engineering",
    "environment",
    "climate",
    "gardening",
    "animals",
    "finance",
    "entrepreneurship",
    "marketing",
    "teaching",
    "sports",
    "public health",
    "government",
    "community organizing",
    "data science",
    "game design",
    "photography",
    "fashion",
    "mental health",
    "space",
)
INTEREST_TAG_LABELS = (
    ("welding", _l("welding")),
    ("robotics", _l("robotics")),
    ("coding", _l("coding")),
    ("cybersecurity", _l("cybersecurity")),
    ("nursing", _l("nursing")),
    ("medicine", _l("medicine")),
    ("law", _l("law")),
    ("journalism", _l("journalism")),
    ("film", _l("film")),
    ("music", _l("music")),
    ("visual arts", _l("visual arts")),
    ("dance", _l("dance")),
    ("theater", _l("theater")),
    ("cooking", _l("cooking")),
    ("baking", _l("baking")),
    ("carpentry", _l("carpentry")),
    ("electrical", _l("electrical")),
    ("plumbing", _l("plumbing")),
    ("automotive", _l("automotive")),
    ("aviation", _l("aviation")),
    ("architecture", _l("architecture")),
    ("engineering", _l("engineering")),
    ("environment", _l("environment")),
    ("climate", _l("climate")),
    ("gardening", _l("gardening")),
    ("animals", _l("animals")),
    ("finance", _l("finance")),
    ("entrepreneurship", _l("entrepreneurship")),
    ("marketing", _l("marketing")),
    ("teaching", _l("teaching")),
    ("sports", _l("sports")),
    ("public health", _l("public health")),
    ("government", _l("government")),
    ("community organizing", _l("community organizing")),
    ("data science", _l("data science")),
    ("game design", _l("game design")),
    ("photography", _l("photography")),
    ("fashion", _l("fashion")),
    ("mental health", _l("mental health")),
    ("space", _l("space")),
)


CREDENTIAL_KIND_LABELS = (
    ("certification", _l("Certification")),
    ("college_credit", _l("College credit")),
    ("other", _l("Other credential")),
)

CONTACT_KINDS = (
    ("one_on_one", _l("One-on-one conversation")),
    ("community_meeting", _l("Community meeting")),
    ("roundtable", _l("Strategy roundtable")),
    ("planning_meeting", _l("Project planning meeting")),
    ("site_visit", _l("Site visit")),
)

# The outreach pipeline, in order: the last step is an active, vetted partner.
PROSPECT_STAGES = (
    ("first_contact", _l("First contact")),
    ("conversation", _l("Conversation")),
    ("proposal", _l("Proposal")),
    ("agreement", _l("Agreement")),
    ("vetting", _l("Vetting records")),
    ("active", _l("Active partner")),
    ("closed", _l("Not going ahead")),
)


def codes(pairs):
    """The stored codes of a (code, label, ...) table."""
    return tuple(p[0] for p in pairs)


def label(pairs, code):
    """The translated label for ``code`` in a (code, ..., label) table, or the code itself."""
    for entry in pairs:
        if entry[0] == code:
            return entry[-1]
    return code
