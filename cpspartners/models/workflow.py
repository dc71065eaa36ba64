"""Following an experience through: student applications, teachers' requests for a speaker or
partner, messages through the site, and notifications.

Students' contact details never travel: partners see an application's first name, grade, school
and answer; messages go through the site, not by email address.
"""

from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow

APPLICATION_STATES = ("submitted", "accepted", "waitlisted", "declined", "withdrawn", "completed")
SEAT_HOLDING_STATES = ("submitted", "accepted", "completed")
REQUEST_STATES = ("requested", "proposed", "accepted", "declined", "cancelled", "completed", "did_not_happen")


class Application(db.Model):
    """A student's application to (or interest in) an opportunity."""

    __tablename__ = "application"

    id = db.Column(db.Integer, primary_key=True)
    opportunity_id = db.Column(
        db.Integer, db.ForeignKey("opportunity.id", ondelete="CASCADE"), nullable=False, index=True
    )
    student_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(8), nullable=False, default="apply")  # apply | interest
    state = db.Column(db.String(10), nullable=False, default="submitted", index=True)
    answer = db.Column(db.Text, nullable=False, default="")
    partner_note = db.Column(db.Text, nullable=False, default="")
    holds_seat = db.Column(db.Boolean, nullable=False, default=False)
    hours = db.Column(db.Numeric(6, 1))
    completed_on = db.Column(db.Date, index=True)  # the school year an outcome counts in
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    opportunity = db.relationship("Opportunity")
    student = db.relationship("User")

    __table_args__ = (
        one_of("kind", ("apply", "interest"), "kind"),
        one_of("state", APPLICATION_STATES, "state"),
        db.UniqueConstraint("opportunity_id", "student_id", name="uq_application_opportunity_student"),
        db.CheckConstraint("hours IS NULL OR hours >= 0", name="hours_positive"),
    )


class VisitRequest(db.Model):
    """A teacher asks a partner for a guest speaker, classroom partner or visit on proposed dates."""

    # The table keeps the name it was created with; in code, URLs and templates the concept is a
    # visit request (renaming a table under live foreign keys buys nothing).
    __tablename__ = "speaker_request"

    id = db.Column(db.Integer, primary_key=True)
    teacher_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id"), nullable=False, index=True)
    opportunity_id = db.Column(db.Integer, db.ForeignKey("opportunity.id", ondelete="SET NULL"), index=True)
    school_id = db.Column(db.Integer, db.ForeignKey("school.id"), nullable=False)
    topic = db.Column(db.String(200), nullable=False)
    subject = db.Column(db.String(120), nullable=False, default="")
    grade = db.Column(db.Integer, nullable=False)
    class_size = db.Column(db.Integer, nullable=False)
    modality = db.Column(db.String(10), nullable=False, default="in_person")
    date_1 = db.Column(db.Date, nullable=False)
    date_2 = db.Column(db.Date)
    date_3 = db.Column(db.Date)
    # The class period the teacher has in mind, Chicago time; None = not said (an all-day entry).
    starts_at = db.Column(db.Time)
    ends_at = db.Column(db.Time)
    message = db.Column(db.Text, nullable=False, default="")
    state = db.Column(db.String(14), nullable=False, default="requested", index=True)
    proposed_date = db.Column(db.Date)  # a date the partner offers instead
    visit_date = db.Column(db.Date)  # the agreed date
    response_note = db.Column(db.Text, nullable=False, default="")
    teacher_confirmed = db.Column(db.Boolean)  # after the date: did it happen?
    partner_confirmed = db.Column(db.Boolean)
    flagged_at = db.Column(db.DateTime(timezone=True), index=True)  # unanswered too long: for specialists
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, onupdate=utcnow)

    teacher = db.relationship("User")
    partner = db.relationship("Partner")
    opportunity = db.relationship("Opportunity")
    school = db.relationship("School")

    __table_args__ = (
        one_of("state", REQUEST_STATES, "state"),
        one_of("modality", ("in_person", "virtual"), "modality"),
        db.CheckConstraint("grade BETWEEN 0 AND 12", name="grade_range"),
        db.CheckConstraint("class_size BETWEEN 1 AND 500", name="class_size_range"),
        db.CheckConstraint("ends_at IS NULL OR (starts_at IS NOT NULL AND ends_at > starts_at)", name="time_order"),
    )

    @property
    def proposed_dates(self):
        return [d for d in (self.date_1, self.date_2, self.date_3) if d]


class Message(db.Model):
    """A message between a partner and a student or teacher about one application or request."""

    __tablename__ = "message"

    id = db.Column(db.Integer, primary_key=True)
    sender_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    application_id = db.Column(db.Integer, db.ForeignKey("application.id", ondelete="CASCADE"), index=True)
    visit_id = db.Column("request_id", db.Integer, db.ForeignKey("speaker_request.id", ondelete="CASCADE"), index=True)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    sender = db.relationship("User")

    __table_args__ = (db.CheckConstraint("(application_id IS NULL) <> (request_id IS NULL)", name="one_thread"),)


class Notification(db.Model):
    """Something a person should know; rendered in their language when shown or emailed."""

    __tablename__ = "notification"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    kind = db.Column(db.String(40), nullable=False)
    params = db.Column(db.JSON, nullable=False, default=dict)
    # Where it leads: an endpoint and its URL arguments, built with url_for when shown or emailed,
    # so a route that moves takes its notifications along. Rows written before kept a path in
    # ``link``; it is still followed when ``endpoint`` is empty (those paths still resolve, or 301).
    endpoint = db.Column(db.String(80), nullable=False, default="", server_default="")
    args = db.Column(db.JSON, nullable=False, default=dict, server_default="{}")
    link = db.Column(db.String(300), nullable=False, default="")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow, index=True)
    read_at = db.Column(db.DateTime(timezone=True))
    emailed_at = db.Column(db.DateTime(timezone=True), index=True)

    user = db.relationship("User")
