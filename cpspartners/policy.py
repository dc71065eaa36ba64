"""Who may do what. Every permission on the site is decided here, and only here: this is the
one module that reads an account's role or approval.

Plain functions take the user (Flask-Login's current_user, possibly anonymous) and, where it
matters, the object; ``requires`` turns one of them into a view decorator. Anonymous visitors
are sent to sign in; signed-in people without the right get a 403.

Two layers. The ``is_*`` checks views use also want an approved, active account. The workflow
checks services use (``*_account``, the sides of an application or a visit) want an account in
good standing (``in_good_standing``: active, and approved if its role waits for approval), so a
pending, revoked or switched-off account acts for nobody on any path: pages, services, calendar
feeds, the command line and jobs. A few return SQL conditions, so lists and notification
recipients follow the same rules.
"""

from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import ParamSpec, TypeAlias, TypeVar

from flask import abort
from flask_login import AnonymousUserMixin, current_user
from sqlalchemy import ColumnElement, and_, false, or_, true

from cpspartners.extensions import login_manager
from cpspartners.models import (
    Application,
    EventSignup,
    Notification,
    Opportunity,
    Partner,
    RecordShare,
    SeatAllocation,
    User,
    VisitRequest,
)
from cpspartners.taxonomy import ROLES, codes

STAFF = ("specialist", "admin")
SELF_SERVICE_ROLES = ("student", "teacher", "partner_staff")  # the accounts people make themselves
SEEKERS = ("student", "teacher")  # who gets recommendations, saves and dismisses listings
WAIT_FOR_APPROVAL = ("teacher", "partner_staff")  # a specialist approves these accounts

# What the checks are given: Flask-Login's current_user, an account or the anonymous visitor.
Person: TypeAlias = "User | AnonymousUserMixin"
MaybePerson: TypeAlias = "User | AnonymousUserMixin | None"  # services may be asked about nobody
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


def can_answer_licence_requests(user: Person) -> bool:
    """Partner staff answer the families' licence requests made to their own organization
    (each answer is checked against the allocation with ``can_distribute_seats``)."""
    return is_partner_staff(user)


def can_see_licence_report(user: Person) -> bool:
    """Specialists see requests, waits, assignments and use by community area."""
    return is_specialist(user)


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


def is_seeker(user: Person) -> bool:
    """Approved students and teachers: recommendations, saved and dismissed listings."""
    return _approved(user, *SEEKERS)


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
    return is_admin(user) or (is_specialist(user) and target.role in WAIT_FOR_APPROVAL)


# --- Privacy rights (issue 15; docs/privacy.md) -----------------------------------------------


def can_use_own_privacy(user: MaybePerson) -> bool:
    """A student sees, copies, corrects and deletes their own records (an account in good standing)."""
    return _holds(user, "student")


def can_handle_rights_requests(user: MaybePerson) -> bool:
    """Specialists answer access and correction requests and confirm family links."""
    return _holds(user, *STAFF) and bool(getattr(user, "is_approved", False))


def can_confirm_family_links(user: MaybePerson) -> bool:
    """A specialist confirms a parent against the school's records before the parent sees anything."""
    return can_handle_rights_requests(user)


def can_erase_students(user: MaybePerson) -> bool:
    """The district's privacy officer (an admin) carries out deletion requests."""
    return _holds(user, "admin") and bool(getattr(user, "is_approved", False))


def can_manage_incidents(user: MaybePerson) -> bool:
    """The privacy officer (an admin) records incidents and drafts the notices."""
    return can_erase_students(user)


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


# --- Workflow checks for services: an account in good standing, in its role ------------------


def in_good_standing(user: MaybePerson) -> bool:
    """Active, and approved if the role waits for approval: the only accounts that act for a
    partner, a school or themselves. Revoking an approval or switching an account off takes it
    out of every workflow check below (and of ``staff_of``) on the next request."""
    if user is None or not getattr(user, "active", False):
        return False
    return bool(user.is_approved) or user.role not in WAIT_FOR_APPROVAL


def _holds(user: MaybePerson, *roles: str) -> bool:
    """``user`` acts in one of ``roles``: the role, in good standing."""
    return _is_role(user, *roles) and in_good_standing(user)


def _is_role(user: MaybePerson, *roles: str) -> bool:
    """Identity only, whatever the account's state: for describing an account, not for acting."""
    return user is not None and getattr(user, "role", None) in roles


def is_student_account(user: MaybePerson) -> bool:
    """A student's account, whatever its state (staff reading one is logged)."""
    return _is_role(user, "student")


def is_teacher_account(user: MaybePerson) -> bool:
    """A teacher's account (with or without a school yet)."""
    return _holds(user, "teacher")


def is_partner_account(user: MaybePerson) -> bool:
    """A partner's staff account with its partner."""
    return _holds(user, "partner_staff") and user.partner_id is not None  # type: ignore[union-attr]


def is_specialist_account(user: MaybePerson) -> bool:
    """Specialists and admins: they keep the directory and decide for every partner."""
    return _holds(user, *STAFF)


def is_seeker_account(user: MaybePerson) -> bool:
    """A student's or a teacher's account: they save, dismiss and keep a profile."""
    return _holds(user, *SEEKERS)


def can_request_visits(user: MaybePerson) -> bool:
    """Teachers with a school: a visit is requested for a school's class."""
    return is_teacher_account(user) and user.school_id is not None  # type: ignore[union-attr]


def _is(user: MaybePerson, user_id: int | None) -> bool:
    """``user`` is the account ``user_id``, in good standing."""
    return user is not None and getattr(user, "id", None) == user_id and in_good_standing(user)


def application_side(user: MaybePerson, application: Application) -> str | None:
    """ "student" for the applicant, "partner" for the partner's staff and specialists, else None."""
    if _is(user, application.student_id):
        return "student"
    if is_specialist_account(user):
        return "partner"
    if _holds(user, "partner_staff") and user.partner_id == application.opportunity.partner_id:  # type: ignore[union-attr]
        return "partner"
    return None


def can_see_application(user: MaybePerson, application: Application) -> bool:
    """Either side of an application may open it."""
    return application_side(user, application) is not None


def can_see_application_details(user: MaybePerson, application: Application, today: date | None = None) -> bool:
    """THE rule for disclosing an application (FERPA 99.30, SOPPA 85/26(2)): the student's
    first name, grade, school, answer and messages. The student sees their own; district staff
    (specialists, admins) are school officials; a partner's staff see them only while an
    accepted consent is on record and the partner's data agreement is in force
    (``consent.rules.disclosure_basis``). Pages, downloads, notifications and text shown to
    partners all ask this; revoking consent takes effect on the partner's next request."""
    from cpspartners.consent import rules

    side = application_side(user, application)
    if side is None:
        return False
    if side == "student" or is_specialist_account(user):
        return True
    return rules.disclosure_basis(application.student_id, application.opportunity.partner_id, today) is not None


def is_applicant(user: MaybePerson, application: Application) -> bool:
    """The student whose application it is (and a parent at their side, on their account):
    they give and revoke consent on the application's page."""
    return application_side(user, application) == "student"


def can_revoke_consent(user: MaybePerson, application: Application) -> bool:
    """The applicant, or district staff acting on a family's request."""
    return is_applicant(user, application) or is_specialist_account(user)


def can_manage_consent_records(user: Person) -> bool:
    """Specialists record data agreements, paper consent forms and the school's eligibility mark."""
    return is_specialist(user)


def needs_second_factor(user: MaybePerson) -> bool:
    """Accounts that reach applicants or every record sign in with a second factor (ASVS 6.3.2):
    specialists, admins, and partner staff in good standing (they read applications)."""
    return is_specialist_account(user) or is_partner_account(user)


def can_end_sessions(user: Person, target: User) -> bool:
    """Admins sign any account out everywhere (ASVS 7.4.5)."""
    return is_admin(user) and can_view_user(user, target)


def can_reset_second_factor(user: Person, target: User) -> bool:
    """Admins clear another account's second step when its owner lost both the device and the
    recovery codes; the owner sets it up again at the next sign-in. Never one's own: an admin
    who is locked out asks another admin, so no account can take its own second step away."""
    return is_admin(user) and can_view_user(user, target) and target.id != user.id


def can_export_student_data(user: Person) -> bool:
    """Staff downloads that hold what students wrote: specialists only, scoped, audited, limited."""
    return is_specialist(user)


def visit_side(user: MaybePerson, req: VisitRequest) -> str | None:
    """ "teacher" for the teacher who asked, "partner" for the partner's staff, "specialist", or None."""
    if _is(user, req.teacher_id):
        return "teacher"
    if _holds(user, "partner_staff") and user.partner_id == req.partner_id:  # type: ignore[union-attr]
        return "partner"
    if is_specialist_account(user):
        return "specialist"
    return None


def writes_for_district(sender: MaybePerson) -> bool:
    """Messages from specialists and admins are the district's (labelled so to every reader,
    never as the partner's), whatever the account's state now."""
    return _is_role(sender, *STAFF)


def thread_side(user: MaybePerson, thread: Application | VisitRequest) -> str | None:
    """The side ``user`` writes from in the messages of an application or a visit, or None."""
    if isinstance(thread, Application):
        return application_side(user, thread)
    return visit_side(user, thread)


def survey_role(user: MaybePerson, experience: Application | VisitRequest) -> str | None:
    """ "student", "teacher" or "partner" if ``user`` is asked about ``experience``, else None.

    Specialists read the answers but are not asked.
    """
    if isinstance(experience, Application):
        side = application_side(user, experience)
        if side == "student":
            return "student"
        return "partner" if side == "partner" and _holds(user, "partner_staff") else None
    side = visit_side(user, experience)
    return side if side in ("teacher", "partner") else None


def can_record_credential(user: MaybePerson, application: Application | None) -> bool:
    """Partner staff, for applications to their own partner's listings."""
    return (
        _holds(user, "partner_staff")
        and application is not None
        and application.opportunity.partner_id == user.partner_id  # type: ignore[union-attr]
    )


def keeps_own_record(user: MaybePerson) -> bool:
    """A student, in good standing, reads their own record and decides who else may."""
    return _holds(user, "student")


def owns_share(user: MaybePerson, share: RecordShare) -> bool:
    """Only the student a record link shows may revoke it."""
    return keeps_own_record(user) and _is(user, share.student_id)


def keeps_relationships(user: MaybePerson) -> bool:
    """Specialists and admins keep the log of contacts, follow-ups and the outreach pipeline."""
    return is_specialist_account(user)


def signs_up_for_events(user: MaybePerson) -> bool:
    """Any account in good standing may sign up for a community event (pending ones wait)."""
    return _holds(user, *codes(ROLES))


def owns_signup(user: MaybePerson, signup: EventSignup) -> bool:
    """A sign-up is cancelled, and its .ics fetched, by the person who made it."""
    return _is(user, signup.user_id)


def takes_attendance(user: MaybePerson, opportunity: Opportunity) -> bool:
    """The event's own partner staff, or specialists, mark who came."""
    return is_specialist_account(user) or (
        _holds(user, "partner_staff") and user.partner_id == opportunity.partner_id  # type: ignore[union-attr]
    )


def is_event_host(user: Person) -> bool:
    """Approved partner staff and specialists: the people who may open an event's attendance list."""
    return is_partner_staff(user) or is_specialist(user)


def approved_on_registration(role: str) -> bool:
    """Students only browse and apply, so their accounts work at once; the others wait."""
    return role not in WAIT_FOR_APPROVAL


def is_approved_account(user: User) -> bool:
    """A specialist approved the account (or it never needed approval)."""
    return bool(user.is_approved)


def needs_approval(user: User) -> bool:
    """A teacher's or partner-staff account: a specialist approves it, and may revoke that."""
    return user.role in WAIT_FOR_APPROVAL


def awaits_approval(user: User) -> bool:
    """A teacher or partner-staff account no specialist has approved yet."""
    return needs_approval(user) and not user.is_approved


# --- The same rules as SQL conditions on User or Application ----------------------------------


def applications_visible_to(user: Person) -> ColumnElement[bool]:
    """The applications ``user`` may list (Application joined to its Opportunity): their own,
    their partner's, or all of them for specialists."""
    if _holds(user, "student"):
        return Application.student_id == user.id
    if _holds(user, "partner_staff"):
        return Opportunity.partner_id == user.partner_id
    return true() if is_specialist_account(user) else false()


def accounts_in_good_standing() -> ColumnElement[bool]:
    """``in_good_standing`` as a condition on User."""
    return and_(User.active.is_(True), or_(User.is_approved.is_(True), User.role.not_in(WAIT_FOR_APPROVAL)))


def staff_of(partner_id: int) -> ColumnElement[bool]:
    """The accounts that speak for a partner (told of its applications and requests): its
    approved, active staff only."""
    return and_(User.partner_id == partner_id, User.role == "partner_staff", accounts_in_good_standing())


def partner_staff_in_good_standing() -> ColumnElement[bool]:
    """Every partner's approved, active staff (the partners' newsletter readers): ``staff_of``
    for all partners at once."""
    return and_(User.partner_id.is_not(None), User.role == "partner_staff", accounts_in_good_standing())


def specialist_accounts() -> ColumnElement[bool]:
    """Specialists' and admins' active accounts (told of requests nobody answered)."""
    return and_(User.role.in_(STAFF), accounts_in_good_standing())


def accounts_awaiting_approval() -> ColumnElement[bool]:
    """``awaits_approval`` as a condition: the specialists' approval queue."""
    return and_(User.is_approved.is_(False), User.role.in_(WAIT_FOR_APPROVAL))


def accounts_with_role(role: str) -> ColumnElement[bool]:
    """The admin's list of accounts, narrowed to one role."""
    return User.role == role


def approved_accounts(role: str) -> ColumnElement[bool]:
    """Active, approved accounts of ``role`` (newsletter readers, for one)."""
    return and_(User.role == role, User.is_approved.is_(True), User.active.is_(True))
