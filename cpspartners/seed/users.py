"""One demo account per role, for trying the site locally. Development only.

The passwords are public (they are in the README), so ``flask seed users`` refuses to run
unless the app is in debug or testing mode or DEMO_USERS is switched on explicitly.
"""

from sqlalchemy import select

from cpspartners.extensions import db
from cpspartners.models import Partner, School, User
from cpspartners.models._base import utcnow

DEMO_USERS = (
    # (email, role, name, password)
    ("admin@demo.cpspartners.example", "admin", "Ada Admin", "demo-admin-pass"),
    ("specialist@demo.cpspartners.example", "specialist", "Sam Specialist", "demo-specialist-pass"),
    ("partner@demo.cpspartners.example", "partner_staff", "Pat Partner", "demo-partner-pass"),
    ("teacher@demo.cpspartners.example", "teacher", "Toni Teacher", "demo-teacher-pass"),
    ("student@demo.cpspartners.example", "student", "Sofía", "demo-student-pass"),
)


# The demo staff accounts' second factor (README, "Demo accounts"): add this key to any TOTP app,
# or sign in with the recovery code once. Public, like the passwords: demo accounts only.
DEMO_TOTP_SECRET = "CPSPARTNERSDEMOTOTPSECRETKEY2345"
DEMO_RECOVERY_CODE = "demo0-demo1"


def _demo_homes():
    """``(school, partner)`` the demo accounts belong to: the first high school, the first
    active partner (demo partners before others)."""
    school = db.session.scalars(select(School).where(School.category == "HS").order_by(School.id)).first()
    partner = db.session.scalars(
        select(Partner)
        .where(Partner.is_active)
        .order_by(Partner.external_id.is_(None), Partner.external_id, Partner.id)
    ).first()
    if school is None or partner is None:
        raise LookupError("No schools or partners yet: run `flask seed schools` and `flask seed demo` first.")
    return school, partner


def _demo_user(email, role, name, password, school, partner):
    """A new approved, confirmed account; students and teachers at ``school``, staff at ``partner``."""
    user = User(email=email, role=role, name=name, is_approved=True, email_confirmed_at=utcnow())
    user.set_password(password)
    if role in ("student", "teacher"):
        user.school = school
    if role == "student":
        user.grade = 10
    if role == "partner_staff":
        user.partner = partner
    if role in ("admin", "specialist", "partner_staff"):  # the roles policy.needs_second_factor names
        user.totp_secret = DEMO_TOTP_SECRET
        user.totp_enrolled_at = utcnow()
    return user


def seed_users():
    """Create the missing demo accounts; returns [(email, role, password, created)]."""
    school, partner = _demo_homes()
    made = []
    for email, role, name, password in DEMO_USERS:
        exists = db.session.scalars(select(User).where(User.email == email)).first() is not None
        if not exists:
            user = _demo_user(email, role, name, password, school, partner)
            db.session.add(user)
            if user.totp_secret:
                from cpspartners.services.two_factor import recovery_code_row

                db.session.flush()
                db.session.add(recovery_code_row(user, DEMO_RECOVERY_CODE))
        made.append((email, role, password, not exists))
    db.session.commit()
    return made
