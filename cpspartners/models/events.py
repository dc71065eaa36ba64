"""Sign-ups for community events (a listing of kind ``community_event``).

A confirmed sign-up holds one of the listing's places: the same ``seats_taken`` counter and
CHECK constraint applications use, taken by one conditional UPDATE, so two people cannot both
take the last place. Beyond capacity a sign-up waits, and the longest waiting gets a freed place.
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow

SIGNUP_STATES = ("confirmed", "waitlisted", "cancelled")


class EventSignup(db.Model):
    __tablename__ = "event_signup"

    id = db.Column(db.Integer, primary_key=True)
    opportunity_id = db.Column(
        db.Integer, db.ForeignKey("opportunity.id", ondelete="CASCADE"), nullable=False, index=True
    )
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    state = db.Column(db.String(10), nullable=False, default="confirmed", index=True)
    holds_place = db.Column(db.Boolean, nullable=False, default=False)
    attended = db.Column(db.Boolean)  # None until staff or the partner mark it
    marked_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    reminded_at = db.Column(db.DateTime(timezone=True))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    opportunity = db.relationship("Opportunity")
    user = db.relationship("User", foreign_keys=[user_id])

    __table_args__ = (
        one_of("state", SIGNUP_STATES, "state"),
        db.UniqueConstraint("opportunity_id", "user_id", name="uq_event_signup_opportunity_user"),
        db.CheckConstraint("holds_place = (state = 'confirmed')", name="place_when_confirmed"),
    )
