"""Opportunities: the experiences partners offer students, classrooms and families."""

from sqlalchemy import and_, event, false, inspect, not_, or_, select
from sqlalchemy.ext.hybrid import hybrid_method, hybrid_property
from sqlalchemy.orm import Session

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow
from cpspartners.models.partner import Partner
from cpspartners.taxonomy import (
    AUDIENCE_STUDENTS,
    AUDIENCES,
    CAREER_CLUSTERS,
    DEMO_ID_PREFIX,
    GRADE_MAX,
    GRADE_MIN,
    MODALITIES,
    OPPORTUNITY_KINDS,
    OPPORTUNITY_PUBLISHED,
    OPPORTUNITY_STATUSES,
    codes,
)

# The one kind that takes sign-ups instead of applications (``Opportunity.takes_sign_ups``).
COMMUNITY_EVENT = "community_event"


def audience_needs_vetting(audience):
    """The one decision of what the vetting gate covers: listings aimed at students. Takes a
    value or the column, so the publishing gate and the public rule ask the same question."""
    return audience == AUDIENCE_STUDENTS


opportunity_school = db.Table(
    "opportunity_school",
    db.Column("opportunity_id", db.Integer, db.ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True),
    db.Column("school_id", db.Integer, db.ForeignKey("school.id"), primary_key=True, index=True),
)


class OpportunityCluster(db.Model):
    """One career cluster (by its 2024 Framework code) that an opportunity belongs to."""

    __tablename__ = "opportunity_cluster"

    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True)
    cluster = db.Column(db.String(6), primary_key=True, index=True)

    __table_args__ = (one_of("cluster", codes(CAREER_CLUSTERS), "cluster"),)


class OpportunityTag(db.Model):
    """A free interest tag ("welding", "robotics") on an opportunity."""

    __tablename__ = "opportunity_tag"

    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="CASCADE"), primary_key=True)
    tag = db.Column(db.String(40), primary_key=True, index=True)


class Opportunity(db.Model):
    """A listing. Who may see it and who may apply are hybrid properties below: each is one
    definition that reads a loaded row as a bool and, on the class, builds the WHERE clause
    (``models.queries`` is the read side built on them). Nothing else restates them.
    """

    __tablename__ = "opportunity"

    id = db.Column(db.Integer, primary_key=True)
    slug = db.Column(db.String(160), nullable=False, unique=True)
    external_id = db.Column(db.String(80), unique=True)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id"), nullable=False, index=True)
    kind = db.Column(db.String(20), nullable=False, index=True)
    title = db.Column(db.String(200), nullable=False)
    title_es = db.Column(db.String(200), nullable=False, default="")
    summary = db.Column(db.String(500), nullable=False, default="")
    summary_es = db.Column(db.String(500), nullable=False, default="")
    description = db.Column(db.Text, nullable=False, default="")
    description_es = db.Column(db.Text, nullable=False, default="")
    grade_min = db.Column(db.Integer, nullable=False, default=6)
    grade_max = db.Column(db.Integer, nullable=False, default=12)
    audience = db.Column(db.String(12), nullable=False, default="students")
    modality = db.Column(db.String(10), nullable=False, default="in_person", index=True)
    location_name = db.Column(db.String(200), nullable=False, default="")
    address = db.Column(db.String(200), nullable=False, default="")
    latitude = db.Column(db.Float)
    longitude = db.Column(db.Float)
    community_area_number = db.Column(db.Integer, db.ForeignKey("community_area.number"), index=True)
    # A city learning place (library, park, training centre) the partner picked instead of typing an address.
    place_id = db.Column(db.Integer, db.ForeignKey("place.id", ondelete="SET NULL"), index=True)
    starts_on = db.Column(db.Date)
    ends_on = db.Column(db.Date)
    schedule = db.Column(db.String(300), nullable=False, default="")
    schedule_es = db.Column(db.String(300), nullable=False, default="", server_default="")
    deadline = db.Column(db.Date, index=True)
    capacity = db.Column(db.Integer)  # None = no limit
    seats_taken = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    paid = db.Column(db.Boolean, nullable=False, default=False)
    stipend = db.Column(db.String(120), nullable=False, default="")
    transportation = db.Column(db.Boolean, nullable=False, default=False)
    cost_cents = db.Column(db.Integer, nullable=False, default=0)
    languages = db.Column(db.String(60), nullable=False, default="en")
    credential = db.Column(db.String(200), nullable=False, default="")
    college_credit = db.Column(db.Boolean, nullable=False, default=False)
    status = db.Column(db.String(16), nullable=False, default="draft", index=True)
    last_verified_at = db.Column(db.DateTime(timezone=True))
    # Bumped by every save of the listing's content: a form that saw an older version is stale.
    version = db.Column(db.Integer, nullable=False, default=1, server_default="1")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    partner = db.relationship("Partner", back_populates="opportunities")
    community_area = db.relationship("CommunityArea")
    place = db.relationship("Place")
    schools = db.relationship("School", secondary=opportunity_school, order_by="School.long_name")
    cluster_rows = db.relationship(
        "OpportunityCluster", cascade="all, delete-orphan", order_by="OpportunityCluster.cluster"
    )
    tag_rows = db.relationship("OpportunityTag", cascade="all, delete-orphan", order_by="OpportunityTag.tag")
    verifications = db.relationship(
        "Verification", back_populates="opportunity", order_by="Verification.verified_at.desc()"
    )

    __table_args__ = (
        one_of("kind", codes(OPPORTUNITY_KINDS), "kind"),
        one_of("audience", codes(AUDIENCES), "audience"),
        one_of("modality", codes(MODALITIES), "modality"),
        one_of("status", codes(OPPORTUNITY_STATUSES), "status"),
        db.CheckConstraint(f"grade_min BETWEEN {GRADE_MIN} AND {GRADE_MAX}", name="grade_min_range"),
        db.CheckConstraint(f"grade_max BETWEEN {GRADE_MIN} AND {GRADE_MAX}", name="grade_max_range"),
        db.CheckConstraint("grade_min <= grade_max", name="grade_order"),
        db.CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_positive"),
        # The database itself refuses an over-full opportunity, whatever the application code does.
        db.CheckConstraint(
            "seats_taken >= 0 AND (capacity IS NULL OR seats_taken <= capacity)", name="seats_within_capacity"
        ),
        db.CheckConstraint("cost_cents >= 0", name="cost_positive"),
        db.CheckConstraint("ends_on IS NULL OR starts_on IS NULL OR ends_on >= starts_on", name="date_order"),
        # "Near a school" and "near a place" read the listings in a box of latitude and longitude:
        # without this, every school page scanned the whole table (49 ms at 100,000 listings).
        db.Index("ix_opportunity_latitude_longitude", "latitude", "longitude"),
    )

    @property
    def clusters(self):
        return [row.cluster for row in self.cluster_rows]

    @clusters.setter
    def clusters(self, codes_):
        self.cluster_rows = [OpportunityCluster(cluster=code) for code in dict.fromkeys(codes_)]

    @property
    def tags(self):
        return [row.tag for row in self.tag_rows]

    @tags.setter
    def tags(self, tags):
        self.tag_rows = [OpportunityTag(tag=tag) for tag in dict.fromkeys(t.strip().lower() for t in tags if t.strip())]

    @property
    def language_codes(self):
        return [code for code in self.languages.split(",") if code]

    @property
    def is_demo(self):
        """A made-up demo listing (``DEMO_ID_PREFIX``), shown with a "Demo" mark."""
        return (self.external_id or "").startswith(DEMO_ID_PREFIX)

    @property
    def citywide(self):
        return not self.schools

    def localized(self, field, locale):
        """The Spanish text of ``field`` when the reader wants Spanish and it exists."""
        if locale == "es":
            spanish = getattr(self, field + "_es", "")
            if spanish:
                return spanish
        return getattr(self, field)

    @property
    def seats_left(self):
        return None if self.capacity is None else max(self.capacity - self.seats_taken, 0)

    # The rules. `&`, not `and`, where one body serves both uses: on bools it is `and` without the
    # short cut, on columns it builds SQL. Only a relationship or a NULL needs a second body.

    @hybrid_property
    def partner_is_active(self):
        """Its partner is ``Partner.is_active`` (in SQL, an EXISTS on the partner row)."""
        return self.partner is not None and self.partner.is_active

    @partner_is_active.inplace.expression
    @classmethod
    def _partner_is_active_clause(cls):
        return cls.partner.has(Partner.is_active)

    @hybrid_property
    def needs_vetting(self):
        """Aimed at students, so shown only while its partner is vetted (``audience_needs_vetting``)."""
        return audience_needs_vetting(self.audience)

    @hybrid_property
    def vetting_gate_open(self):
        """Not aimed at students, or its partner is vetted: ``Partner.vetted``, kept by
        ``services.vetting`` from the records and any recorded exemption."""
        return not self.needs_vetting or (self.partner is not None and bool(self.partner.vetted))

    @vetting_gate_open.inplace.expression
    @classmethod
    def _vetting_gate_open_clause(cls):
        return or_(not_(cls.needs_vetting), cls.partner.has(Partner.vetted.is_(True)))

    @hybrid_property
    def is_public(self):
        """What anyone may see: published, by an active partner, and by a vetted one when it
        is for students. Every reader (directory, search, recommendations, applications,
        reminders) goes through this, so an expired record hides the listing everywhere."""
        return (self.status == OPPORTUNITY_PUBLISHED) & self.partner_is_active & self.vetting_gate_open

    @property
    def takes_sign_ups(self):
        """A community event: people sign up for a place (``services.events``) instead of applying."""
        return self.kind == COMMUNITY_EVENT

    @hybrid_method
    def deadline_open(self, today):
        """No deadline (rolling admission), or not passed yet on ``today``."""
        return self.deadline is None or self.deadline >= today

    @deadline_open.inplace.expression
    @classmethod
    def _deadline_open_clause(cls, today):
        return or_(cls.deadline.is_(None), cls.deadline >= today)

    @hybrid_property
    def has_seat_left(self):
        """No capacity limit, or fewer seats taken than there are."""
        return self.capacity is None or self.seats_taken < self.capacity

    @has_seat_left.inplace.expression
    @classmethod
    def _has_seat_left_clause(cls):
        return or_(cls.capacity.is_(None), cls.seats_taken < cls.capacity)

    @hybrid_method
    def takes_applications(self, today):
        """A student may apply: public and the deadline not passed. When it is full, the
        application goes on the waitlist (``services.applications``)."""
        return self.is_public & self.deadline_open(today)

    @hybrid_method
    def open_for_applications(self, today):
        """A student who applies now gets a seat: it takes applications and is not full."""
        return self.takes_applications(today) & self.has_seat_left

    # Who may apply, beyond the listing's own state: each one definition, composed in ``admits``.

    @hybrid_method
    def fits_grade(self, grade):
        """``grade`` is in the listing's range; no grade (not a student) fits none."""
        return grade is not None and self.grade_min <= grade <= self.grade_max

    @fits_grade.inplace.expression
    @classmethod
    def _fits_grade_clause(cls, grade):
        if grade is None:
            return false()
        return and_(cls.grade_min <= grade, cls.grade_max >= grade)

    @hybrid_method
    def offered_at(self, school_id):
        """Citywide (no named schools), or ``school_id`` is one of the schools it is offered at."""
        return not self.schools or any(school.id == school_id for school in self.schools)

    @offered_at.inplace.expression
    @classmethod
    def _offered_at_clause(cls, school_id):
        named = select(opportunity_school.c.school_id).where(opportunity_school.c.opportunity_id == cls.id)
        return or_(~named.exists(), named.where(opportunity_school.c.school_id == school_id).exists())

    @hybrid_method
    def admits(self, grade, school_id, today):
        """A student in ``grade`` at ``school_id`` may apply on ``today``: it takes applications,
        the grade fits and it is offered at their school. Full still admits (to the waitlist).
        ``services.applications.refusal`` says which part fails, in words."""
        return self.takes_applications(today) & self.fits_grade(grade) & self.offered_at(school_id)

    def __repr__(self):
        return f"<Opportunity {self.id} {self.slug}>"


@event.listens_for(Session, "before_flush")
def _touch_when_links_change(session, _context, _instances):
    """A listing whose tags, clusters or schools changed has changed: bump ``updated_at``, which
    caches (recommendations, search) use to notice edits. ``onupdate`` alone misses these."""
    for obj in session.dirty:
        if isinstance(obj, Opportunity):
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in ("tag_rows", "cluster_rows", "schools")):
                obj.updated_at = utcnow()
