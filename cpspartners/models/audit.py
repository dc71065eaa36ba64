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
    # Who it was, kept if the account goes: a staff member's email at the time; a student's record
    # number ("Student #12"), never a student's email (services.audit.label_for).
    actor_label = db.Column(db.String(254), nullable=False, default="")
    action = db.Column(db.String(40), nullable=False, index=True)
    subject_type = db.Column(db.String(20), nullable=False)
    subject_id = db.Column(db.Integer, nullable=False)
    changes = db.Column(db.JSON, nullable=False, default=dict)  # {field: [old, new]}
    # ``note`` in English, as written (and looked up: ``listings.revisions``); ``note_message`` the
    # same note frozen (``i18n.freeze``) so each reader sees it in their own language.
    note = db.Column(db.Text, nullable=False, default="")
    note_message = db.Column(db.JSON)
    # The spreadsheet import that made this change, if one did.
    import_run_id = db.Column(db.Integer, db.ForeignKey("import_run.id", ondelete="SET NULL"), index=True)

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
    # The subject's version and values when the partner opened the form: approving applies only
    # the fields the partner changed from these, so a later correction is never reverted.
    base_version = db.Column(db.Integer)
    base = db.Column(db.JSON)

    submitted_by = db.relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = db.relationship("User", foreign_keys=[reviewed_by_id])

    __table_args__ = (
        one_of("subject_type", REVIEW_SUBJECTS, "subject_type"),
        one_of("status", codes(REVIEW_STATUSES), "status"),
        db.Index("ix_change_request_subject", "subject_type", "subject_id"),
        # One open request per object: a second submission edits the first.
        db.Index(
            "uq_change_request_open",
            "subject_type",
            "subject_id",
            unique=True,
            sqlite_where=db.text("status IN ('pending', 'changes_requested')"),
            postgresql_where=db.text("status IN ('pending', 'changes_requested')"),
        ),
    )

    @property
    def is_open(self):
        return self.status in ("pending", "changes_requested")


IMPORT_STATES = ("queued", "running", "done", "failed")


class ImportRun(db.Model):
    """One spreadsheet import: its commit token (applied once), progress and outcome."""

    __tablename__ = "import_run"

    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(64), nullable=False, unique=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    what = db.Column(db.String(20), nullable=False)  # partners | opportunities
    filename = db.Column(db.String(255), nullable=False, default="")
    state = db.Column(db.String(10), nullable=False, default="queued", index=True)
    total_rows = db.Column(db.Integer, nullable=False, default=0)
    done_rows = db.Column(db.Integer, nullable=False, default=0)
    summary = db.Column(db.JSON, nullable=False, default=dict)  # counts by outcome, row reasons
    error = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    finished_at = db.Column(db.DateTime(timezone=True))

    actor = db.relationship("User")

    __table_args__ = (
        one_of("what", ("partners", "opportunities"), "what"),
        one_of("state", IMPORT_STATES, "state"),
    )
