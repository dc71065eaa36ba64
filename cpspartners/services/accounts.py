"""Accounts: registration, confirmation, password reset, approval and roles."""

import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from cpspartners import policy
from cpspartners.accounts import passwords
from cpspartners.extensions import db
from cpspartners.models import ChangeRequest, Notification, Partner, School, User
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.audit import record
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from cpspartners.taxonomy import STUDENT_GRADES
from cpspartners.text import slugify


def find_user_by_email(email: str | None) -> User | None:
    email = (email or "").strip().lower()
    if not email:
        return None
    return db.session.scalars(select(User).where(func.lower(User.email) == email)).first()


@transaction
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
    if role not in policy.SELF_SERVICE_ROLES:
        raise RuleBroken(_l("Choose one of the account types offered."))
    existing = find_user_by_email(email)
    if existing is not None:
        passwords.hash_password(password)  # same work either way: no timing hint
        return existing, False
    user = _new_account(email, password, role, name, language)
    user.school_id = school_id if role in ("student", "teacher") else None
    user.grade = grade if role == "student" else None
    if role == "partner_staff":
        user.partner = _partner_for_staff(partner_id, new_partner_name)  # flushes: add the user after
    db.session.add(user)
    db.session.flush()
    record(user, "registered", "user", user.id, {"role": [None, role]})
    return user, True


def _new_account(email: str, password: str, role: str, name: str, language: str) -> User:
    user = User(
        email=email.strip().lower(),
        name=name.strip(),
        role=role,
        preferred_language=language,
        is_approved=policy.approved_on_registration(role),
    )
    user.set_password(password)
    return user


def _partner_for_staff(partner_id: int | None, new_partner_name: str | None) -> Partner:
    if partner_id:
        partner = db.session.get(Partner, partner_id)
        if partner is None or partner.status == "inactive":
            raise RuleBroken(_l("Choose your organization from the list, or propose a new one."))
        return partner
    name = (new_partner_name or "").strip()
    if not name:
        raise RuleBroken(_l("Choose your organization from the list, or propose a new one."))
    partner = Partner(
        name=name, kind="nonprofit", status="pending", slug="%s-%s" % (slugify(name, 90), secrets.token_hex(3))
    )
    db.session.add(partner)
    db.session.flush()
    proposed = {"name": name, "kind": "nonprofit"}
    db.session.add(ChangeRequest(subject_type="partner", subject_id=partner.id, is_new=True, proposed=proposed))
    changes = {"name": [None, name], "status": [None, "pending"]}
    record(None, "proposed", "partner", partner.id, changes, note=_l("proposed at registration"))
    return partner


@transaction
def confirm_email(user: User) -> User:
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


@transaction
def end_sessions(user: User) -> None:
    """Every session and remember-me cookie ``user`` has, anywhere, stops working on its next
    request: their ids carry the old ``session_version`` (``User.get_id``), the loader refuses it.

    The one switch for sign-out, a new password, deactivation, a role change and a revoked
    approval."""
    user.session_version = (user.session_version or 0) + 1


@transaction
def end_sessions_of(actor: User, user: User) -> None:
    """An admin signs ``user`` out everywhere (ASVS 7.4.5), audited."""
    if not policy.can_end_sessions(actor, user):
        raise NotAllowed(_l("Only administrators end other people's sessions."))
    end_sessions(user)
    record(actor, "ended_sessions", "user", user.id)


@transaction
def sign_out(user: User) -> None:
    """Signing out signs the person out everywhere, copied cookies included."""
    end_sessions(user)


def check_not_common(password: str) -> None:
    """ASVS 6.2.4, for every path that sets a password (the forms say it first, beside the field)."""
    if passwords.is_common(password):
        raise RuleBroken(_l("That password is one of the most common ones. Choose another."))


@transaction
def renew_password_hash(user: User, password: str) -> None:
    """After ``password`` was checked and matched: a hash made by an older scheme or cost is
    replaced by one made now (``accounts.passwords``). Nothing else about the account changes,
    and its sessions go on."""
    if passwords.needs_rehash(user.password_hash):
        user.set_password(password)


@transaction
def reset_password(user: User, password: str) -> None:
    """A new password. The second factor stays as it was: a reset never removes or skips it."""
    check_not_common(password)
    user.set_password(password)
    end_sessions(user)
    record(user, "password_reset", "user", user.id)


@transaction
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


@transaction
def change_school(user: User, school_id: int, grade: int) -> None:
    """A student moves school or up a grade: audited, and read live wherever their school and
    grade are shown (the partner's and the specialist's application views, the teacher's)."""
    if not policy.is_student_account(user):
        raise NotAllowed(_l("Only students give a school and a grade here."))
    if grade not in STUDENT_GRADES or db.session.get(School, school_id) is None:
        raise RuleBroken(_l("Choose a school from the list and a grade from 6 to 12."))
    changes = {}
    if user.school_id != school_id:
        changes["school_id"] = [user.school_id, school_id]
    if user.grade != grade:
        changes["grade"] = [user.grade, grade]
    if changes:
        user.school_id, user.grade = school_id, grade
        record(user, "updated_profile", "user", user.id, changes)


@transaction
def set_language(user: User, language: str) -> None:
    """The language chosen on a page becomes the account's: its pages and its email follow."""
    if language not in ("en", "es") or user.preferred_language == language:
        return
    record(user, "updated_profile", "user", user.id, {"preferred_language": [user.preferred_language, language]})
    user.preferred_language = language


@transaction
def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise RuleBroken(_l("Your current password is not right."))
    reset_password(user, new)


@transaction
def new_calendar_link(user: User) -> None:
    """A new nonce in the person's calendar feed link: every link made before stops working."""
    user.calendar_nonce = secrets.token_hex(16)


@transaction
def approve_account(actor: User, user: User) -> None:
    """A specialist approves a pending teacher or partner-staff account."""
    if policy.is_approved_account(user):
        raise Conflict(_l("That account is already approved."))
    if not policy.awaits_approval(user):
        raise RuleBroken(_l("Only teacher and partner-staff accounts wait for approval."))
    user.is_approved = True
    record(actor, "approved_account", "user", user.id, {"is_approved": [False, True]})


@transaction
def revoke_approval(actor: User, user: User) -> None:
    """A specialist withdraws a teacher's or partner-staff account's approval: from the next
    request it acts for nobody (``policy.in_good_standing``) and its sessions end. It waits in
    the approval queue again, where it can be approved anew."""
    if not policy.needs_approval(user):
        raise RuleBroken(_l("Only teacher and partner-staff accounts wait for approval."))
    if not policy.is_approved_account(user):
        raise Conflict(_l("That account is not approved."))
    user.is_approved = False
    end_sessions(user)
    _forget_notifications(user)
    record(actor, "revoked_approval", "user", user.id, {"is_approved": [True, False]})


def _forget_notifications(user: User) -> None:
    """What the account was told in the role it no longer holds (students' activity, requests)
    must not stay readable, or be emailed, once that role is gone."""
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))


ROLE_FIELDS = ("role", "partner_id", "active", "school_id", "grade")


@transaction
def set_role(
    actor: User, user: User, role: str, partner_id: int | None = None, active: bool = True
) -> dict[str, list[Any]]:
    """An admin changes an account's role (and partner for partner staff) or switches it off."""
    _check_role_change(actor, user, role, active)
    before = {field: getattr(user, field) for field in ROLE_FIELDS}
    user.partner_id = _partner_of_staff(partner_id) if role == "partner_staff" else None
    if role == "teacher" and user.school_id is None:
        raise RuleBroken(_l("Teachers need a school: ask them to register as a teacher."))
    user.role = role
    user.active = active
    if role in policy.STAFF:
        user.is_approved = True
    changes = {f: [before[f], getattr(user, f)] for f in ROLE_FIELDS if before[f] != getattr(user, f)}
    if changes:
        end_sessions(user)  # a session keeps no rights the account no longer has
        if "role" in changes or "partner_id" in changes:
            _forget_notifications(user)
        record(actor, "changed_role", "user", user.id, changes)
    return changes


def _check_role_change(actor: User, user: User, role: str, active: bool) -> None:
    if user.id == actor.id and (role != user.role or not active):
        raise NotAllowed(_l("You cannot change your own role or switch off your own account."))
    if role == "student":
        raise RuleBroken(_l("Student accounts are made by students themselves."))
    if policy.is_student_account(user):
        raise RuleBroken(_l("Student accounts cannot change role."))


def _partner_of_staff(partner_id: int | None) -> int:
    if not partner_id or db.session.get(Partner, partner_id) is None:
        raise RuleBroken(_l("Choose the partner this person works for."))
    return partner_id


@transaction
def create_staff(email: str, password: str, role: str, name: str = "", actor: User | None = None) -> User:
    """A specialist or admin account (CLI and admin pages): approved and confirmed."""
    if role not in policy.STAFF:
        raise RuleBroken(_l("Choose one of the account types offered."))
    if find_user_by_email(email) is not None:
        raise Conflict(_l("There is already an account with that email."))
    check_not_common(password)
    user = User(email=email.strip().lower(), name=name, role=role, is_approved=True, email_confirmed_at=utcnow())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(actor, "created_account", "user", user.id, {"role": [None, role]})
    return user
