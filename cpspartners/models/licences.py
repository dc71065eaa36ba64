"""A family's request for a learning licence (a seat of a pool, such as Coursera for families),
made without a student account: a confirmed adult email, the name the licence is for, the
language to write in and, if the family gives it, their community area for the specialists'
counts. The seat itself is a ``SeatAssignment`` made by the distributor through ``services.pools``.
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow

LICENCE_REQUEST_STATUSES = ("unconfirmed", "requested", "handled", "withdrawn")


class LicenceRequest(db.Model):
    __tablename__ = "licence_request"

    id = db.Column(db.Integer, primary_key=True)
    allocation_id = db.Column(
        db.Integer, db.ForeignKey("seat_allocation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    name = db.Column(db.String(120), nullable=False)
    email = db.Column(db.String(254), nullable=False, index=True)
    language = db.Column(db.String(2), nullable=False, default="en")
    community_area_number = db.Column(db.Integer, db.ForeignKey("community_area.number"), index=True)
    status = db.Column(db.String(12), nullable=False, default="unconfirmed", index=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    confirmed_at = db.Column(db.DateTime(timezone=True))
    handled_at = db.Column(db.DateTime(timezone=True))  # the distributor gave a seat or a waitlist place

    allocation = db.relationship("SeatAllocation")
    community_area = db.relationship("CommunityArea")

    __table_args__ = (
        one_of("status", LICENCE_REQUEST_STATUSES, "status"),
        one_of("language", ("en", "es"), "language"),
    )
