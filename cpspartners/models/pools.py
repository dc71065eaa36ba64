"""Seat and licence pools: a program's seats (e.g. certificate licences valid for four months),
allocated to distributors, assigned by them to a student or family, renewable, with a waitlist.

Least data: a holder is either a student account, or a family contact the distributor gives
(a name and an adult's email for reminders) — never a child's contact details.
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow


class SeatPool(db.Model):
    __tablename__ = "seat_pool"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False)
    name_es = db.Column(db.String(200), nullable=False, default="")
    description = db.Column(db.Text, nullable=False, default="")
    provider_id = db.Column(db.Integer, db.ForeignKey("partner.id"), nullable=False, index=True)
    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="SET NULL"), index=True)
    total_seats = db.Column(db.Integer, nullable=False)
    validity_days = db.Column(db.Integer, nullable=False, default=120)
    remind_days_before = db.Column(db.Integer, nullable=False, default=14)
    is_open = db.Column(db.Boolean, nullable=False, default=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    provider = db.relationship("Partner")
    opportunity = db.relationship("Opportunity")
    allocations = db.relationship("SeatAllocation", back_populates="pool", order_by="SeatAllocation.id")

    __table_args__ = (
        db.CheckConstraint("total_seats > 0", name="total_positive"),
        db.CheckConstraint("validity_days BETWEEN 1 AND 3650", name="validity_range"),
        db.CheckConstraint("remind_days_before BETWEEN 0 AND 365", name="remind_range"),
    )

    def localized(self, field, locale):
        if locale == "es" and getattr(self, field + "_es", ""):
            return getattr(self, field + "_es")
        return getattr(self, field)


class SeatAllocation(db.Model):
    """Seats of a pool given to one distributor (a Parent University, a partner organization)."""

    __tablename__ = "seat_allocation"

    id = db.Column(db.Integer, primary_key=True)
    pool_id = db.Column(db.Integer, db.ForeignKey("seat_pool.id", ondelete="CASCADE"), nullable=False, index=True)
    distributor_id = db.Column(db.Integer, db.ForeignKey("partner.id"), nullable=False, index=True)
    seats = db.Column(db.Integer, nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    pool = db.relationship("SeatPool", back_populates="allocations")
    distributor = db.relationship("Partner")
    assignments = db.relationship("SeatAssignment", back_populates="allocation", order_by="SeatAssignment.id")

    __table_args__ = (
        db.CheckConstraint("seats > 0", name="seats_positive"),
        db.UniqueConstraint("pool_id", "distributor_id", name="uq_seat_allocation_pool_distributor"),
    )


HOLDER_RULE = "(holder_user_id IS NOT NULL) <> (holder_name <> '')"


def holder_label(holder, holder_name):
    """What the distributor sees of a holder: the name it gave, or a student account's first
    name only, as partners see on applications (never the full name, never the email)."""
    if holder is None:
        return holder_name
    return (holder.name or "").split(" ")[0]


class SeatAssignment(db.Model):
    """One seat held by one student or family, from ``starts_on`` to ``expires_on`` inclusive."""

    __tablename__ = "seat_assignment"

    id = db.Column(db.Integer, primary_key=True)
    allocation_id = db.Column(
        db.Integer, db.ForeignKey("seat_allocation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    holder_user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    holder_name = db.Column(db.String(120), nullable=False, default="")
    holder_email = db.Column(db.String(254), nullable=False, default="")  # an adult family contact, for reminders
    holder_language = db.Column(db.String(2), nullable=False, default="en")
    starts_on = db.Column(db.Date, nullable=False)
    expires_on = db.Column(db.Date, nullable=False)
    status = db.Column(db.String(10), nullable=False, default="active", index=True)
    renewals = db.Column(db.Integer, nullable=False, default=0)
    reminded_on = db.Column(db.Date)
    # A seat for a student is given by a code the student enters, never by looking up an email.
    claim_code = db.Column(db.String(24), unique=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    allocation = db.relationship("SeatAllocation", back_populates="assignments")
    holder = db.relationship("User")

    __table_args__ = (
        one_of("status", ("active", "expired", "released"), "status"),
        one_of("holder_language", ("en", "es"), "holder_language"),
        db.CheckConstraint("expires_on >= starts_on", name="expires_after_start"),
        db.CheckConstraint(HOLDER_RULE, name="one_holder"),
    )

    @property
    def holder_display(self):
        return holder_label(self.holder, self.holder_name)


class SeatWaitlistEntry(db.Model):
    """Someone waiting for a seat from one distributor's allocation, first come first served."""

    __tablename__ = "seat_waitlist_entry"

    id = db.Column(db.Integer, primary_key=True)
    allocation_id = db.Column(
        db.Integer, db.ForeignKey("seat_allocation.id", ondelete="CASCADE"), nullable=False, index=True
    )
    holder_user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    holder_name = db.Column(db.String(120), nullable=False, default="")
    holder_email = db.Column(db.String(254), nullable=False, default="")
    holder_language = db.Column(db.String(2), nullable=False, default="en")
    status = db.Column(db.String(10), nullable=False, default="waiting", index=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    allocation = db.relationship("SeatAllocation")
    holder = db.relationship("User")

    @property
    def holder_display(self):
        return holder_label(self.holder, self.holder_name)

    __table_args__ = (
        one_of("status", ("waiting", "assigned", "withdrawn"), "status"),
        one_of("holder_language", ("en", "es"), "holder_language"),
        db.CheckConstraint(HOLDER_RULE, name="one_holder"),
    )
