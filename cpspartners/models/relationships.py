"""The specialist's relationships: contacts with partners and prospects, their follow-ups, and
the outreach pipeline of organisations that are not partners yet."""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow
from cpspartners.taxonomy import CONTACT_KINDS, PARTNER_KINDS, PROSPECT_STAGES, codes

contact_staff = db.Table(
    "contact_staff",
    db.Column("contact_id", db.Integer, db.ForeignKey("contact.id", ondelete="CASCADE"), primary_key=True),
    db.Column("user_id", db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Prospect(db.Model):
    """An organisation the specialist is engaging, from first contact to an active partner."""

    __tablename__ = "prospect"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False)
    kind = db.Column(db.String(20), nullable=False, default="nonprofit")
    stage = db.Column(db.String(16), nullable=False, default="first_contact", index=True)
    # The organisation's contact person, as they gave it for work: not a student's or family's.
    contact_name = db.Column(db.String(120), nullable=False, default="")
    contact_email = db.Column(db.String(254), nullable=False, default="")
    notes = db.Column(db.Text, nullable=False, default="")
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    # Set when the pipeline opens the partner record (pending, through the review queue).
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id", ondelete="SET NULL"), unique=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    owner = db.relationship("User")
    partner = db.relationship("Partner")

    __table_args__ = (
        one_of("kind", codes(PARTNER_KINDS), "kind"),
        one_of("stage", codes(PROSPECT_STAGES), "stage"),
    )


class Contact(db.Model):
    """One conversation, meeting, roundtable or site visit with a partner or a prospect."""

    __tablename__ = "contact"

    id = db.Column(db.Integer, primary_key=True)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    prospect_id = db.Column(db.Integer, db.ForeignKey("prospect.id", ondelete="CASCADE"), index=True)
    kind = db.Column(db.String(20), nullable=False)
    held_on = db.Column(db.Date, nullable=False, index=True)
    # The partner's people who took part, by name and role as the specialist wrote them.
    partner_attendees = db.Column(db.String(500), nullable=False, default="")
    notes = db.Column(db.Text, nullable=False, default="")
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    partner = db.relationship("Partner")
    prospect = db.relationship("Prospect")
    created_by = db.relationship("User", foreign_keys=[created_by_id])
    staff = db.relationship("User", secondary=contact_staff, order_by="User.email")
    follow_ups = db.relationship(
        "FollowUp", back_populates="contact", cascade="all, delete-orphan", order_by="FollowUp.due_on"
    )

    __table_args__ = (
        one_of("kind", codes(CONTACT_KINDS), "kind"),
        db.CheckConstraint("(partner_id IS NULL) <> (prospect_id IS NULL)", name="one_organisation"),
    )

    @property
    def organisation_name(self):
        return self.partner.name if self.partner is not None else self.prospect.name


class FollowUp(db.Model):
    """Something agreed at a contact that someone on staff owes by a date."""

    __tablename__ = "follow_up"

    id = db.Column(db.Integer, primary_key=True)
    contact_id = db.Column(db.Integer, db.ForeignKey("contact.id", ondelete="CASCADE"), nullable=False, index=True)
    task = db.Column(db.String(300), nullable=False)
    due_on = db.Column(db.Date, nullable=False, index=True)
    owner_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    done_at = db.Column(db.DateTime(timezone=True))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    contact = db.relationship("Contact", back_populates="follow_ups")
    owner = db.relationship("User")
