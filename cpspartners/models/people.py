"""People who use the site. Students give grade and school only: never a birth date."""

from ..extensions import db
from ..taxonomy import ROLES, STUDENT_GRADES, codes
from ._base import one_of, utcnow


class User(db.Model):
    __tablename__ = "user"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(120), nullable=False, default="")
    role = db.Column(db.String(16), nullable=False)
    school_id = db.Column(db.Integer, db.ForeignKey("school.id"), index=True)
    grade = db.Column(db.Integer)
    partner_id = db.Column(db.Integer, db.ForeignKey("partner.id"), index=True)
    preferred_language = db.Column(db.String(2), nullable=False, default="en")
    password_hash = db.Column(db.String(255))
    is_approved = db.Column(db.Boolean, nullable=False, default=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    school = db.relationship("School")
    partner = db.relationship("Partner")

    # CHECKs pass on NULL, so each clause says IS NOT NULL explicitly.
    __table_args__ = (
        one_of("role", codes(ROLES), "role"),
        one_of("preferred_language", ("en", "es"), "preferred_language"),
        db.CheckConstraint(
            "(role = 'student' AND grade IS NOT NULL AND school_id IS NOT NULL AND grade BETWEEN %d AND %d)"
            " OR (role <> 'student' AND grade IS NULL)" % (min(STUDENT_GRADES), max(STUDENT_GRADES)),
            name="student_grade",
        ),
        db.CheckConstraint("role <> 'teacher' OR school_id IS NOT NULL", name="teacher_school"),
        db.CheckConstraint(
            "(role = 'partner_staff') = (partner_id IS NOT NULL)", name="partner_staff_partner"
        ),
    )

    def __repr__(self):
        return f"<User {self.id} {self.role}>"
