"""One-time recovery codes for the second factor: stored hashed, each usable once."""

from cpspartners.extensions import db
from cpspartners.models._base import utcnow


class RecoveryCode(db.Model):
    __tablename__ = "recovery_code"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash = db.Column(db.String(255), nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    used_at = db.Column(db.DateTime(timezone=True))
