"""Partner organizations, their vetting records, and verification records."""

from sqlalchemy.ext.hybrid import hybrid_property

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow
from cpspartners.taxonomy import (
    DEMO_ID_PREFIX,
    PARTNER_ACTIVE,
    PARTNER_KINDS,
    PARTNER_STATUSES,
    VERIFICATION_METHODS,
    VETTING_KINDS,
    codes,
)

partner_area = db.Table(
    "partner_area",
    db.Column("partner_id", db.Integer, db.ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True),
    db.Column("community_area_number", db.Integer, db.ForeignKey("community_area.number"), primary_key=True),
)


class Partner(db.Model):
    __tablename__ = "partner"

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(120), nullable=False, unique=True)
    external_id = db.Column(db.String(80), unique=True)
    name = db.Column(db.String(200), nullable=False, index=True)
    kind = db.Column(db.String(20), nullable=False)
    mission = db.Column(db.Text, nullable=False, default="")
    mission_es = db.Column(db.Text, nullable=False, default="")
    website = db.Column(db.String(300), nullable=False, default="")
    contact_email = db.Column(db.String(254), nullable=False, default="")
    contact_phone = db.Column(db.String(20), nullable=False, default="")
    address = db.Column(db.String(200), nullable=False, default="")
    latitude = db.Column(db.Float)
    longitude = db.Column(db.Float)
    community_area_number = db.Column(db.Integer, db.ForeignKey("community_area.number"), index=True)
    languages = db.Column(db.String(60), nullable=False, default="en")  # comma-separated codes
    status = db.Column(db.String(10), nullable=False, default="pending", index=True)
    # The vetting gate, kept by ``services.vetting`` alone (on every vetting write and by the daily
    # ``flask vetting sweep``): True while the partner holds a current agreement, insurance
    # certificate and background check, or carries a recorded exemption. ``vetted_until`` is the
    # last day all three stay current, so the sweep finds who lapses today by an indexed date.
    vetted = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false(), index=True)
    vetted_until = db.Column(db.Date, index=True)
    # A district-run programme's recorded reason to stand outside the gate ("" = none).
    vetting_exemption = db.Column(db.String(300), nullable=False, default="", server_default="")
    # Bumped by every save of the profile: a form that saw an older version is stale.
    version = db.Column(db.Integer, nullable=False, default=1, server_default="1")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    community_area = db.relationship("CommunityArea")
    areas_served = db.relationship("CommunityArea", secondary=partner_area, order_by="CommunityArea.name")
    opportunities = db.relationship("Opportunity", back_populates="partner", lazy="dynamic")
    vetting_records = db.relationship(
        "VettingRecord",
        back_populates="partner",
        cascade="all, delete-orphan",
        order_by="VettingRecord.expires_on",
    )
    verifications = db.relationship(
        "Verification", back_populates="partner", order_by="Verification.verified_at.desc()"
    )

    __table_args__ = (
        one_of("kind", codes(PARTNER_KINDS), "kind"),
        one_of("status", codes(PARTNER_STATUSES), "status"),
        db.CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude_range"),
        db.CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude_range"),
    )

    @hybrid_property
    def is_active(self):
        """Vetted and not archived: the partner half of what the public may see. One expression
        for both uses: a bool on a loaded partner, a WHERE clause on the class."""
        return self.status == PARTNER_ACTIVE

    @property
    def language_codes(self):
        return [code for code in self.languages.split(",") if code]

    @property
    def is_demo(self):
        """Made up by ``flask seed demo``, not a real organization (``DEMO_ID_PREFIX``)."""
        return (self.external_id or "").startswith(DEMO_ID_PREFIX)

    def __repr__(self):
        return f"<Partner {self.id} {self.slug}>"


class VettingRecord(db.Model):
    """An agreement, insurance certificate or background check, each valid for a period."""

    __tablename__ = "vetting_record"

    id = db.Column(db.Integer, primary_key=True)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(20), nullable=False)
    subject = db.Column(db.String(200), nullable=False, default="")  # e.g. the person checked
    issued_on = db.Column(db.Date, nullable=False)
    expires_on = db.Column(db.Date, nullable=False)
    note = db.Column(db.Text, nullable=False, default="")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    partner = db.relationship("Partner", back_populates="vetting_records")

    __table_args__ = (
        one_of("kind", codes(VETTING_KINDS), "kind"),
        db.CheckConstraint("expires_on >= issued_on", name="expires_after_issued"),
    )

    def is_current(self, today):
        return self.issued_on <= today <= self.expires_on


class Verification(db.Model):
    """Who confirmed a listing was true, how and when: kept apart from ``updated_at``."""

    __tablename__ = "verification"

    id = db.Column(db.Integer, primary_key=True)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="CASCADE"), index=True)
    verified_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    method = db.Column(db.String(20), nullable=False)
    verified_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    note = db.Column(db.Text, nullable=False, default="")

    partner = db.relationship("Partner", back_populates="verifications")
    opportunity = db.relationship("Opportunity", back_populates="verifications")
    verified_by = db.relationship("User")

    __table_args__ = (
        one_of("method", codes(VERIFICATION_METHODS), "method"),
        db.CheckConstraint("(partner_id IS NULL) <> (opportunity_id IS NULL)", name="exactly_one_subject"),
    )
