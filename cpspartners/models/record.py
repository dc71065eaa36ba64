"""A student's record shared by a link: the student makes it, it expires, the student may revoke it.

Only a hash of the link's token is kept, so a copy of the database cannot open anyone's record.
"""

from cpspartners.extensions import db
from cpspartners.models._base import utcnow


class RecordShare(db.Model):
    """One link to one student's record, made by that student."""

    __tablename__ = "record_share"

    id = db.Column(db.Integer, primary_key=True)
    student_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    # Who the student said it is for ("my counsellor"): a reminder for the student, never shown on the link.
    label = db.Column(db.String(80), nullable=False, default="")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False)
    revoked_at = db.Column(db.DateTime(timezone=True))
    views = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    last_viewed_at = db.Column(db.DateTime(timezone=True))

    student = db.relationship("User")

    __table_args__ = (
        db.CheckConstraint("expires_at > created_at", name="expires_after_created"),
        db.CheckConstraint("views >= 0", name="views_positive"),
    )
