"""Outcomes: feedback on a rubric after an experience, and credentials a student earned.

Hours live on the application (recorded when it is completed); participation is a completed
application or visit. Reports are computed from these rows, never typed in.
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow

RUBRIC = ("relevance", "engagement", "organization", "recommend")
RESPONDENT_ROLES = ("student", "teacher", "partner")
CREDENTIAL_KINDS = ("certification", "college_credit", "other")


class Feedback(db.Model):
    """One person's survey answer about one completed application or visit."""

    __tablename__ = "feedback"

    id = db.Column(db.Integer, primary_key=True)
    respondent_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    respondent_role = db.Column(db.String(8), nullable=False)
    application_id = db.Column(db.Integer, db.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    visit_id = db.Column("request_id", db.Integer, db.ForeignKey("speaker_request.id", ondelete="CASCADE"), index=True)
    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="SET NULL"), index=True)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id"), nullable=False, index=True)
    relevance = db.Column(db.Integer, nullable=False)
    engagement = db.Column(db.Integer, nullable=False)
    organization = db.Column(db.Integer, nullable=False)
    recommend = db.Column(db.Integer, nullable=False)
    comment = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    respondent = db.relationship("User")
    partner = db.relationship("Partner")
    opportunity = db.relationship("Opportunity")

    __table_args__ = (
        one_of("respondent_role", RESPONDENT_ROLES, "respondent_role"),
        db.CheckConstraint("(application_id IS NULL) <> (request_id IS NULL)", name="one_experience"),
        *(db.CheckConstraint(f"{item} BETWEEN 1 AND 4", name=f"{item}_range") for item in RUBRIC),
        db.UniqueConstraint("respondent_id", "application_id", name="uq_feedback_respondent_application"),
        db.UniqueConstraint("respondent_id", "request_id", name="uq_feedback_respondent_request"),
    )


class Credential(db.Model):
    """A certification or college credit a student earned, with the evidence a specialist confirms."""

    __tablename__ = "credential"

    id = db.Column(db.Integer, primary_key=True)
    student_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="SET NULL"), index=True)
    kind = db.Column(db.String(16), nullable=False)
    name = db.Column(db.String(200), nullable=False)
    credits = db.Column(db.Numeric(5, 1))
    earned_on = db.Column(db.Date, nullable=False)
    evidence = db.Column(db.Text, nullable=False, default="")
    status = db.Column(db.String(10), nullable=False, default="claimed", index=True)
    confirmed_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    confirmed_at = db.Column(db.DateTime(timezone=True))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    student = db.relationship("User", foreign_keys=[student_id])
    confirmed_by = db.relationship("User", foreign_keys=[confirmed_by_id])
    opportunity = db.relationship("Opportunity")

    __table_args__ = (
        one_of("kind", CREDENTIAL_KINDS, "kind"),
        one_of("status", ("claimed", "confirmed", "rejected"), "status"),
        db.CheckConstraint("credits IS NULL OR credits >= 0", name="credits_positive"),
    )
