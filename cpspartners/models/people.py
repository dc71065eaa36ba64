"""People who use the site. Students give grade and school only: never a birth date."""

from flask_login import UserMixin

from cpspartners.accounts import passwords
from cpspartners.extensions import db
from cpspartners.models._base import one_of, utcnow
from cpspartners.taxonomy import ROLES, STUDENT_GRADES, codes


class User(UserMixin, db.Model):
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
    email_confirmed_at = db.Column(db.DateTime(timezone=True))
    # Admins can switch an account off without deleting it (and its audit trail).
    active = db.Column(db.Boolean, nullable=False, default=True)
    # Part of the personal calendar link's signature: changing it revokes every old link.
    calendar_nonce = db.Column(db.String(32), nullable=False, default="", server_default="")
    # Part of every session and remember-me cookie (``get_id``): bumping it on sign-out, a new
    # password, deactivation or a role change ends every session the account has anywhere.
    session_version = db.Column(db.Integer, nullable=False, default=0, server_default="0")
    # Set by the unsubscribe link at the foot of every newsletter.
    newsletter_opt_out = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    # The second factor (TOTP, RFC 6238) of staff accounts: the shared secret in base32, when it
    # was enrolled, and the last time step accepted (a code is never accepted twice).
    totp_secret = db.Column(db.String(64))
    totp_enrolled_at = db.Column(db.DateTime(timezone=True))
    totp_last_step = db.Column(db.BigInteger)

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
        db.CheckConstraint("(role = 'partner_staff') = (partner_id IS NOT NULL)", name="partner_staff_partner"),
    )

    @property
    def is_active(self):
        """Flask-Login refuses to sign in a deactivated account (UserMixin says always active)."""
        return self.active

    def get_id(self):
        """What Flask-Login keeps in the session and the remember-me cookie: the id and the
        session version, so bumping the version (``services.accounts.end_sessions``) makes every
        copy the account handed out worthless."""
        return "%d:%d" % (self.id, self.session_version or 0)

    def set_password(self, password):
        """Store a hash (``passwords``): never the password itself."""
        self.password_hash = passwords.hash_password(password)

    def check_password(self, password):
        return passwords.verify(self.password_hash, password)

    @property
    def display_name(self):
        return self.name or self.email.split("@")[0]

    def __repr__(self):
        return f"<User {self.id} {self.role}>"
