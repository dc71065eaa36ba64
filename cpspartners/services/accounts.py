"""Accounts: registration, confirmation, password reset, approval and roles."""

import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import generate_password_hash

from cpspartners.extensions import db
from cpspartners.models import ChangeRequest, Partner, User
from cpspartners.services import ServiceError
from cpspartners.services._base import utcnow
from cpspartners.services.audit import record
from cpspartners.text import slugify

SELF_SERVICE_ROLES = ("student", "teacher", "partner_staff")
STAFF_ROLES = ("specialist", "admin")


def find_user_by_email(email: str | None) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return db.session.scalars(select(User).where(func.lower(User.email) == email)).first()


def register(
    email: str,
    password: str,
    role: str,
    name: str = "",
    school_id: int | None = None,
    grade: int | None = None,
    partner_id: int | None = None,
    new_partner_name: str = "",
    language: str = "en",
) -> tuple[User, bool]:
    """Create a self-registered account; returns (user, created).

    ``created`` is False when the email is already taken: the caller shows the same message
    either way, so the form never reveals which addresses have accounts.
    """
    if role not in SELF_SERVICE_ROLES:
        raise ServiceError(_("Choose one of the account types offered."))
    existing = find_user_by_email(email)
    if existing is not None:
        generate_password_hash(password, method="scrypt")  # same work either way: no timing hint
        return existing, False
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        role=role,
        preferred_language=language,
        # Students are approved at once (they only browse); staff accounts wait for a specialist.
        is_approved=(role == "student"),
    )
    user.set_password(password)
    if role in ("student", "teacher"):
        user.school_id = school_id
    if role == "student":
        user.grade = grade
    if role == "partner_staff":
        user.partner = _partner_for_staff(partner_id, new_partner_name)
    db.session.add(user)
    db.session.flush()
    record(user, "registered", "user", user.id, {"role": [None, role]})
    db.session.commit()
    return user, True


def _partner_for_staff(partner_id: int | None, new_partner_name: str | None) -> Partner:
    if partner_id:
        partner = db.session.get(Partner, partner_id)
        if partner is None or partner.status == "inactive":
            raise ServiceError(_("Choose your organization from the list, or propose a new one."))
        return partner
    name = (new_partner_name or "").strip()
    if not name:
        raise ServiceError(_("Choose your organization from the list, or propose a new one."))
    partner = Partner(
        name=name, kind="nonprofit", status="pending", slug="%s-%s" % (slugify(name, 90), secrets.token_hex(3))
    )
    db.session.add(partner)
    db.session.flush()
    db.session.add(
        ChangeRequest(
            subject_type="partner", subject_id=partner.id, is_new=True, proposed={"name": name, "kind": "nonprofit"}
        )
    )
    record(
        None,
        "proposed",
        "partner",
        partner.id,
        {"name": [None, name], "status": [None, "pending"]},
        note="proposed at registration",
    )
    return partner


def confirm_email(user: User) -> User:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        db.session.commit()
    return user


def reset_password(user: User, password: str) -> None:
    user.set_password(password)
    record(user, "password_reset", "user", user.id)
    db.session.commit()


def update_profile(user: User, name: str, language: str) -> None:
    changes = {}
    if user.name != name:
        changes["name"] = [user.name, name]
    if user.preferred_language != language:
        changes["preferred_language"] = [user.preferred_language, language]
    user.name = name
    user.preferred_language = language
    if changes:
        record(user, "updated_profile", "user", user.id, changes)
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise ServiceError(_("Your current password is not right."))
    reset_password(user, new)


def approve_account(actor: User, user: User) -> None:
    """A specialist approves a pending teacher or partner-staff account."""
    if user.is_approved:
        raise ServiceError(_("That account is already approved."))
    if user.role not in ("teacher", "partner_staff"):
        raise ServiceError(_("Only teacher and partner-staff accounts wait for approval."))
    user.is_approved = True
    record(actor, "approved_account", "user", user.id, {"is_approved": [False, True]})
    db.session.commit()


def set_role(
    actor: User, user: User, role: str, partner_id: int | None = None, active: bool = True
) -> dict[str, list[Any]]:
    """An admin changes an account's role (and partner for partner staff) or switches it off."""
    if user.id == actor.id and (role != user.role or not active):
        raise ServiceError(_("You cannot change your own role or switch off your own account."))
    if role == "student":
        raise ServiceError(_("Student accounts are made by students themselves."))
    if user.role == "student":
        raise ServiceError(_("Student accounts cannot change role."))
    before = {
        "role": user.role,
        "partner_id": user.partner_id,
        "active": user.active,
        "school_id": user.school_id,
        "grade": user.grade,
    }
    if role == "partner_staff":
        if not partner_id or db.session.get(Partner, partner_id) is None:
            raise ServiceError(_("Choose the partner this person works for."))
        user.partner_id = partner_id
    else:
        user.partner_id = None
    if role == "teacher" and user.school_id is None:
        raise ServiceError(_("Teachers need a school: ask them to register as a teacher."))
    user.role = role
    user.active = active
    if role in STAFF_ROLES:
        user.is_approved = True
    after = {
        "role": user.role,
        "partner_id": user.partner_id,
        "active": user.active,
        "school_id": user.school_id,
        "grade": user.grade,
    }
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        record(actor, "changed_role", "user", user.id, changes)
    db.session.commit()
    return changes


def create_staff(email: str, password: str, role: str, name: str = "", actor: User | None = None) -> User:
    """A specialist or admin account (CLI and admin pages): approved and confirmed."""
    if role not in STAFF_ROLES:
        raise ServiceError(_("Choose one of the account types offered."))
    if find_user_by_email(email) is not None:
        raise ServiceError(_("There is already an account with that email."))
    user = User(email=email.strip().lower(), name=name, role=role, is_approved=True, email_confirmed_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "created_account", "user", user.id, {"role": [None, role]})
    db.session.commit()
    return user
