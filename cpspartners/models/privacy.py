"""Privacy records: families' rights requests, family links, deletion certificates, incidents.

What is held and for how long is declared in ``cpspartners/privacy/inventory.py``; these tables
are the paperwork of exercising the rights it promises (SOPPA 105 ILCS 85/33, FERPA 34 CFR 99).
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow

RIGHTS_KINDS = ("access", "correction", "deletion")
# access: received -> fulfilled; correction: received -> decided -> corrected | denied -> confirmed;
# deletion: received -> fulfilled. Any open one may be withdrawn.
RIGHTS_STATES = ("received", "decided", "corrected", "denied", "confirmed", "fulfilled", "withdrawn")
OPEN_RIGHTS_STATES = ("received", "decided", "corrected", "denied")
REQUESTERS = ("student", "parent", "school")
FAMILY_LINK_STATES = ("pending", "confirmed", "revoked")
INCIDENT_STATES = ("open", "notified", "closed")


class RightsRequest(db.Model):
    """One request to see, correct or delete a student's records, with its clock."""

    __tablename__ = "rights_request"

    id = db.Column(db.Integer, primary_key=True)
    # SET NULL: a fulfilled deletion request outlives the student it erased (the certificate).
    student_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    kind = db.Column(db.String(12), nullable=False)
    requested_by = db.Column(db.String(8), nullable=False, default="student")
    state = db.Column(db.String(10), nullable=False, default="received", index=True)
    received_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    due_at = db.Column(db.DateTime(timezone=True), nullable=False, index=True)
    # Corrections: which field, the value asked for, the district's decision and when it was confirmed.
    field = db.Column(db.String(40), nullable=False, default="")
    requested_value = db.Column(db.String(200), nullable=False, default="")
    decision_note = db.Column(db.Text, nullable=False, default="")
    decided_at = db.Column(db.DateTime(timezone=True))
    confirm_due_at = db.Column(db.DateTime(timezone=True))
    closed_at = db.Column(db.DateTime(timezone=True))
    handled_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))

    student = db.relationship("User", foreign_keys=[student_id])

    __table_args__ = (
        one_of("kind", RIGHTS_KINDS, "kind"),
        one_of("state", RIGHTS_STATES, "state"),
        one_of("requested_by", REQUESTERS, "requested_by"),
        db.CheckConstraint("due_at >= received_at", name="due_after_received"),
    )

    @property
    def is_open(self):
        return self.state in OPEN_RIGHTS_STATES


class FamilyLink(db.Model):
    """A parent's email tied to a student, confirmed by a specialist against the school's records.

    A parent has no account: a confirmed link lets the parent ask for the student's copy, which
    is emailed to this address as a signed, short-lived link.
    """

    __tablename__ = "family_link"

    id = db.Column(db.Integer, primary_key=True)
    student_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    parent_email = db.Column(db.String(254), nullable=False)
    parent_language = db.Column(db.String(2), nullable=False, default="en")
    state = db.Column(db.String(10), nullable=False, default="pending", index=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    confirmed_at = db.Column(db.DateTime(timezone=True))
    confirmed_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))

    student = db.relationship("User", foreign_keys=[student_id])

    __table_args__ = (
        one_of("state", FAMILY_LINK_STATES, "state"),
        one_of("parent_language", ("en", "es"), "parent_language"),
        db.UniqueConstraint("student_id", "parent_email", name="uq_family_link_student_email"),
    )


class DeletionCertificate(db.Model):
    """Proof that a student's records were erased: how many rows of what, when, why. No identifier
    of the student is kept (only the request's number, if a request asked for it)."""

    __tablename__ = "deletion_certificate"

    id = db.Column(db.Integer, primary_key=True)
    reason = db.Column(db.String(12), nullable=False)  # closed | request | retention
    request_id = db.Column(db.Integer, db.ForeignKey("rights_request.id", ondelete="SET NULL"))
    counts = db.Column(db.JSON, nullable=False, default=dict)  # {table: rows deleted or anonymised}
    files_removed = db.Column(db.Integer, nullable=False, default=0)
    completed_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)

    __table_args__ = (one_of("reason", ("closed", "request", "retention"), "reason"),)


class AnonymisedOutcome(db.Model):
    """What stays of an erased student's completed application: an outcome count, no person."""

    __tablename__ = "anonymised_outcome"

    id = db.Column(db.Integer, primary_key=True)
    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="SET NULL"), index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("school.id", ondelete="SET NULL"))
    state = db.Column(db.String(10), nullable=False)
    hours = db.Column(db.Numeric(6, 1))
    completed_on = db.Column(db.Date)
    recorded_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)


class Incident(db.Model):
    """A suspected or confirmed breach of student data, with its notification clock (S10)."""

    __tablename__ = "incident"

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(200), nullable=False)
    discovered_at = db.Column(db.DateTime(timezone=True), nullable=False)
    window_start = db.Column(db.DateTime(timezone=True), nullable=False)
    window_end = db.Column(db.DateTime(timezone=True), nullable=False)
    data_involved = db.Column(db.Text, nullable=False, default="")
    operator_name = db.Column(db.String(200), nullable=False, default="")
    parent_notice_due = db.Column(db.DateTime(timezone=True), nullable=False)
    state = db.Column(db.String(10), nullable=False, default="open", index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (
        one_of("state", INCIDENT_STATES, "state"),
        db.CheckConstraint("window_end >= window_start", name="window_order"),
    )
