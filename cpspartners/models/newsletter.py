"""Newsletters: a digest of listings composed by a specialist for one audience, scope and language."""

from sqlalchemy import CheckConstraint

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow

AUDIENCE_CODES = ("students", "teachers", "families", "partners", "schools")
SCOPE_CODES = ("citywide", "school", "network", "area")


class Newsletter(db.Model):
    __tablename__ = "newsletter"

    id = db.Column(db.Integer, primary_key=True)
    subject = db.Column(db.String(200), nullable=False)
    audience = db.Column(db.String(10), nullable=False)
    scope = db.Column(db.String(10), nullable=False, default="citywide")
    scope_value = db.Column(db.String(40), nullable=False, default="")  # school id, network name or area number
    language = db.Column(db.String(2), nullable=False, default="en")
    note = db.Column(db.Text, nullable=False, default="")
    status = db.Column(db.String(8), nullable=False, default="draft", index=True)
    created_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    sent_at = db.Column(db.DateTime(timezone=True))
    recipient_count = db.Column(db.Integer, nullable=False, default=0)  # delivered so far, across runs
    # The audience when the last sending run started, already delivered or refused ones included.
    recipient_total = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    claimed_until = db.Column(db.DateTime(timezone=True))  # a sending run holds it until then

    stories = db.relationship(
        "NewsletterStory",
        cascade="all, delete-orphan",
        order_by="NewsletterStory.position",
        back_populates="newsletter",
    )
    items = db.relationship(
        "NewsletterItem", cascade="all, delete-orphan", order_by="NewsletterItem.position", back_populates="newsletter"
    )
    created_by = db.relationship("User")

    __table_args__ = (
        one_of("audience", AUDIENCE_CODES, "audience"),
        one_of("scope", SCOPE_CODES, "scope"),
        one_of("language", ("en", "es"), "language"),
        one_of("status", ("draft", "sending", "sent"), "status"),
    )


class NewsletterItem(db.Model):
    """One listing in a newsletter, in the order the specialist chose."""

    __tablename__ = "newsletter_item"

    newsletter_id = db.Column(db.Integer, db.ForeignKey("newsletter.id", ondelete="CASCADE"), primary_key=True)
    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True)
    position = db.Column(db.Integer, nullable=False)

    newsletter = db.relationship("Newsletter", back_populates="items")
    opportunity = db.relationship("Opportunity")


class NewsletterStory(db.Model):
    """A short story the specialist writes beside the listings, with an optional image.

    A story that names a student records who consented and who recorded it, when: the database
    refuses one without (``consent_recorded``), whatever the form does.
    """

    __tablename__ = "newsletter_story"

    id = db.Column(db.Integer, primary_key=True)
    newsletter_id = db.Column(
        db.Integer, db.ForeignKey("newsletter.id", ondelete="CASCADE"), nullable=False, index=True
    )
    position = db.Column(db.Integer, nullable=False, default=0)
    title = db.Column(db.String(200), nullable=False)
    body = db.Column(db.Text, nullable=False)
    image_name = db.Column(db.String(80), nullable=False, default="")  # the stored file's random name
    image_alt = db.Column(db.String(200), nullable=False, default="")
    names_student = db.Column(db.Boolean, nullable=False, default=False)
    consent_by = db.Column(db.String(120), nullable=False, default="")  # the parent, guardian or adult student
    consent_recorded_at = db.Column(db.DateTime(timezone=True))
    consent_recorded_by_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    newsletter = db.relationship("Newsletter", back_populates="stories")

    __table_args__ = (
        CheckConstraint(
            "NOT names_student OR (consent_by <> '' AND consent_recorded_at IS NOT NULL)", name="consent_recorded"
        ),
    )


class NewsletterDelivery(db.Model):
    """One recipient's copy of a newsletter, recorded as soon as the mail server answered for it.

    A sending run skips everyone recorded here, so a run cut short (lost connection, crash)
    resumes without a second copy. It keeps only the identity the unsubscribe link carries
    ("u:<user id>" or "s:<subscriber id>"), never the address, and goes
    NEWSLETTER_DELIVERY_KEEP_DAYS after the newsletter is sent (``flask newsletters prune``).
    """

    __tablename__ = "newsletter_delivery"

    newsletter_id = db.Column(db.Integer, db.ForeignKey("newsletter.id", ondelete="CASCADE"), primary_key=True)
    recipient = db.Column(db.String(24), primary_key=True)
    sent_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # The server refused this address: recorded so that no later run tries it again.
    refused = db.Column(db.Boolean, nullable=False, default=False)

    # Only the kind and id of the recipient, never an address.
    __table_args__ = (CheckConstraint("substr(recipient, 1, 2) IN ('u:', 's:')", name="recipient_kind"),)


class NewsletterSubscriber(db.Model):
    """A family address that asked for the newsletter (double opt-in: confirmed by an emailed link).

    Families are not account holders: a student's account is never used as a family address.
    """

    __tablename__ = "newsletter_subscriber"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    language = db.Column(db.String(2), nullable=False, default="en")
    school_id = db.Column(db.Integer, db.ForeignKey("school.id", ondelete="SET NULL"), index=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    confirmed_at = db.Column(db.DateTime(timezone=True))
    unsubscribed_at = db.Column(db.DateTime(timezone=True))

    school = db.relationship("School")

    __table_args__ = (one_of("language", ("en", "es"), "language"),)

    @property
    def is_active(self):
        return self.confirmed_at is not None and self.unsubscribed_at is None
