"""Who may do what. Every permission on the site is decided here, and only here.

Plain functions take the user (Flask-Login's current_user, possibly anonymous) and, where it
matters, the object; ``requires`` turns one of them into a view decorator. Anonymous visitors
are sent to sign in; signed-in people without the right get a 403.
"""

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeAlias, TypeVar

from flask import abort
from flask_login import AnonymousUserMixin, current_user

from cpspartners.extensions import login_manager
from cpspartners.models import Notification, Opportunity, Partner, SeatAllocation, User

STAFF = ("specialist", "admin")

# What the checks are given: Flask-Login's current_user, an account or the anonymous visitor.
Person: TypeAlias = "User | AnonymousUserMixin"
P = ParamSpec("P")
R = TypeVar("R")


def _approved(user: Person, *roles: str) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_approved and user.role in roles)


def is_signed_in(user: Person) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_specialist(user: Person) -> bool:
    """Partnership specialists and admins keep the directory."""
    return _approved(user, *STAFF)


def is_admin(user: Person) -> bool:
    return _approved(user, "admin")


def is_partner_staff(user: Person) -> bool:
    """Approved staff of a partner (pending accounts cannot edit anything yet)."""
    return _approved(user, "partner_staff") and user.partner_id is not None


def can_edit_partner(user: Person, partner: Partner) -> bool:
    return is_specialist(user) or (is_partner_staff(user) and user.partner_id == partner.id)


def can_edit_opportunity(user: Person, opp: Opportunity) -> bool:
    return is_specialist(user) or (is_partner_staff(user) and user.partner_id == opp.partner_id)


def can_distribute_seats(user: Person, allocation: SeatAllocation) -> bool:
    """Staff of the distributor an allocation of seats was given to."""
    return is_partner_staff(user) and allocation.distributor_id == user.partner_id


def is_student(user: Person) -> bool:
    return _approved(user, "student")


def is_teacher(user: Person) -> bool:
    """Approved teachers with a school: requests are made for a school's classes."""
    return _approved(user, "teacher") and user.school_id is not None


def can_list_applications(user: Person) -> bool:
    """Partner staff (their own partner's) and specialists (all) read applications."""
    return is_partner_staff(user) or is_specialist(user)


def takes_part_in_visits(user: Person) -> bool:
    """Teachers and partner staff are the two sides of a visit (confirming it, messaging)."""
    return is_teacher(user) or is_partner_staff(user)


def is_recipient(user: Person, notification: Notification) -> bool:
    """A notification is read, and marked read, only by the person it was written for."""
    return is_signed_in(user) and notification.user_id == user.id


def can_review(user: Person) -> bool:
    return is_specialist(user)


def can_view_audit(user: Person) -> bool:
    return is_specialist(user)


def can_approve_accounts(user: Person) -> bool:
    return is_specialist(user)


def can_manage_users(user: Person) -> bool:
    return is_admin(user)


def can_view_user(user: Person, target: User) -> bool:
    """Admins see every account; specialists see the staff accounts they approve, not students."""
    return is_admin(user) or (is_specialist(user) and target.role in ("teacher", "partner_staff"))


def home_endpoint(user: Person) -> str:
    """Where the header's "my area" link goes for this person."""
    if is_admin(user):
        return "admin.users"
    if is_specialist(user):
        return "review.queue"
    if is_partner_staff(user):
        return "partners.dashboard"
    if _approved(user, "student", "teacher"):
        return "recommendations.recommendations"
    return "accounts.profile"


def authorize(allowed: bool) -> None:
    """Stop the request unless ``allowed``: sign-in for visitors, 403 for the signed in."""
    if not is_signed_in(current_user):
        abort(login_manager.unauthorized())
    if not allowed:
        abort(403)


def requires(check: Callable[[Person], bool]) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """View decorator: ``@requires(policy.is_specialist)``."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            authorize(check(current_user))
            return view(*args, **kwargs)

        wrapped.permission = check.__name__  # type: ignore[attr-defined]
        return wrapped

    return decorator


def signed_in(view: Callable[P, R]) -> Callable[P, R]:
    """Any signed-in, active account."""

    @wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        authorize(True)
        return view(*args, **kwargs)

    return wrapped
