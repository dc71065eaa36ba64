"""The audit log and the change requests partners submit for review.

Both are append-mostly records. Audit entries are written by ``cpspartners.services`` in the same
transaction as the change they describe and are never edited from the site.
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow
from cpspartners.taxonomy import AUDIT_SUBJECTS, REVIEW_STATUSES, codes

REVIEW_SUBJECTS = ("partner", "opportunity")


class AuditEntry(db.Model):
    """Who did what to which record, when, with the old and new values."""

    __tablename__ = "audit_entry"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # The actor's email at the time, so the entry still says who it was if the account goes.
    actor_label = db.Column(db.String(254), nullable=False, default="")
    action = db.Column(db.String(40), nullable=False, index=True)
    subject_type = db.Column(db.String(20), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    changes = db.Column(db.JSON, nullable=False, default=dict)  # {field: [old, new]}
    note = db.Column(db.Text, nullable=False, default="")

    actor = db.relationship("User")

    __table_args__ = (
        one_of("subject_type", codes(AUDIT_SUBJECTS), "subject_type"),
        db.Index("ix_audit_entry_subject", "subject_type", "subject_id"),
    )


class ChangeRequest(db.Model):
    """A partner's proposed new values for its profile or one opportunity, waiting for review.

    The live row keeps the last approved values; approving copies ``proposed`` onto it.
    """

    __tablename__ = "change_request"

    id = db.Column(db.Integer, primary_key=True)
    subject_type = db.Column(db.String(20), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    is_new = db.Column(db.Boolean, nullable=False, default=False)  # a new listing, not a change
    proposed = db.Column(db.JSON, nullable=False, default=dict)
    status = db.Column(db.String(20), nullable=False, default="pending", index=True)
    submitted_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    submitted_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    reviewed_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    reviewed_at = db.Column(db.DateTime(timezone=True))
    reviewer_comment = db.Column(db.Text, nullable=False, default="")

    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = db.relationship("User", foreign_keys=[reviewed_by_id])

    __table_args__ = (
        one_of("subject_type", REVIEW_SUBJECTS, "subject_type"),
        one_of("status", codes(REVIEW_STATUSES), "status"),
        db.Index("ix_change_request_subject", "subject_type", "subject_id"),
    )

    @property
    def is_open(self):
        return self.status in ("pending", "changes_requested")
