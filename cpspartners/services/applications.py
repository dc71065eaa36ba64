"""Student applications: apply or express interest, and every move between states.

Seats are counted in the database: taking one is a single conditional UPDATE
(``seats_taken + 1 ... WHERE seats_taken < capacity``), so two students applying for the last
seat at the same moment cannot both get it; a CHECK constraint backs it up.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select, update

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Application, Opportunity, User
from cpspartners.services import student_text
from cpspartners.services._base import transaction
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from cpspartners.services.notify import Page, notify, partner_staff, titles_of

# (from, to) -> who may make the move
TRANSITIONS = {
    ("submitted", "accepted"): "partner",
    ("submitted", "waitlisted"): "partner",
    ("submitted", "declined"): "partner",
    ("waitlisted", "accepted"): "partner",
    ("waitlisted", "declined"): "partner",
    ("accepted", "completed"): "partner",
    ("submitted", "withdrawn"): "student",
    ("waitlisted", "withdrawn"): "student",
    ("accepted", "withdrawn"): "student",
}
NOTIFY_STUDENT = {"accepted", "waitlisted", "declined", "completed"}


def take_seat(opportunity_id: int) -> bool:
    """One seat, atomically; False when the opportunity is full."""
    table = Opportunity.__table__
    result = db.session.execute(
        update(table)
        .where(table.c.id == opportunity_id, or_(table.c.capacity.is_(None), table.c.seats_taken < table.c.capacity))
        .values(seats_taken=table.c.seats_taken + 1)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]  # a CursorResult: scoped_session's stub says Result


def give_back_seat(opportunity_id: int) -> None:
    table = Opportunity.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == opportunity_id, table.c.seats_taken > 0)
        .values(seats_taken=table.c.seats_taken - 1)
    )


@transaction
def apply(
    student: User,
    opportunity: Opportunity,
    answer: str = "",
    kind: str = "apply",
    today: date | None = None,
    send_anyway: bool = False,
) -> Application:
    """Apply (or express interest). Returns the application, submitted or waitlisted.

    An answer holding contact details is refused (``student_text.ContactDetailsFound``) unless
    ``send_anyway``, and then stored masked."""
    check_can_apply(student, opportunity, today or date.today())
    answer = student_text.for_partner(student, (answer or "").strip(), send_anyway)
    if db.session.scalar(
        select(Application.id).where(Application.opportunity_id == opportunity.id, Application.student_id == student.id)
    ):
        raise Conflict(_l("You have already applied for this."))
    application = Application(opportunity_id=opportunity.id, student_id=student.id, kind=kind, answer=answer)
    if kind == "apply" and opportunity.capacity is not None:
        application.holds_seat = take_seat(opportunity.id)
        application.state = "submitted" if application.holds_seat else "waitlisted"
    db.session.add(application)
    db.session.flush()
    _announce_new(application, student, opportunity)
    return application


def _announce_new(application: Application, student: User, opportunity: Opportunity) -> None:
    """Tell the partner's staff. Grade and school only when the rule lets its staff see the
    application's details now (consent and data agreement on record); else only the listing."""
    staff = partner_staff(opportunity.partner_id)
    if staff and policy.can_see_application_details(staff[0], application):
        school = student.school.long_name if student.school else ""
        notify(
            staff,
            "application_new",
            Page("applications.received"),
            **titles_of(opportunity),
            grade=student.grade,
            school=school,
        )
    else:
        notify(staff, "application_waiting", Page("applications.received"), **titles_of(opportunity))


def check_can_apply(student: User, opportunity: Opportunity, today: date) -> None:
    """Refuse unless ``student`` may apply on ``today`` (``refusal`` says why not). A full
    listing still takes applications, onto its waitlist."""
    if not policy.is_student_account(student):
        raise NotAllowed(_l("Only students can apply."))
    reason = kind_refusal(opportunity) or refusal(student, opportunity, today)
    if reason is not None:
        raise RuleBroken(reason)


def kind_refusal(opportunity: Opportunity) -> LazyString | None:
    """Why ``opportunity`` takes no applications at all (a community event takes sign-ups), or None.

    Apart from ``refusal`` on purpose: an event is still one a student may take part in (cards,
    recommendations and ``Opportunity.admits`` keep it); only the way in differs, and the page
    shows the sign-up box instead of the form. This stops a hand-made POST to the apply route."""
    if opportunity.takes_sign_ups:
        return _l("Community events take sign-ups, not applications. Use the sign-up button on the event's page.")
    return None


def closed_reason(opportunity: Opportunity, today: date) -> LazyString | None:
    """Why nobody may apply to ``opportunity`` on ``today`` (not public, deadline passed), or None."""
    if not opportunity.is_public:
        return _l("This opportunity is not open.")
    if not opportunity.takes_applications(today):
        return _l("The deadline for this opportunity has passed.")
    return None


def refusal(student: User, opportunity: Opportunity, today: date) -> LazyString | None:
    """Why ``student`` may not apply to ``opportunity`` on ``today``, or None when they may.

    The one eligibility rule, in words: None exactly when ``Opportunity.admits`` holds (the same
    rule in SQL, for lists: ``queries.admitting``). Pages use it to say why there is no form.
    """
    closed = closed_reason(opportunity, today)
    if closed is not None:
        return closed
    if not opportunity.fits_grade(student.grade):
        return _l(
            "This opportunity is for grades %(low)d to %(high)d.", low=opportunity.grade_min, high=opportunity.grade_max
        )
    return school_refusal(opportunity, student.school_id)


def school_refusal(opportunity: Opportunity, school_id: int | None) -> LazyString | None:
    """Why students of ``school_id`` may not apply (it is offered only at other schools), or None."""
    if opportunity.offered_at(school_id):
        return None
    return _l(
        "This opportunity is only for students at %(schools)s.",
        schools=", ".join(school.long_name for school in opportunity.schools),
    )


@transaction
def move(
    application: Application,
    to_state: str,
    actor: User,
    note: str = "",
    hours: Decimal | None = None,
    today: date | None = None,
) -> Application:
    """Move an application to ``to_state`` if ``actor`` may; keeps seat counts and notifies.

    On completion the partner may record the hours the student spent.
    """
    side = policy.application_side(actor, application)
    if side is None:
        raise NotAllowed(_l("This application is not yours."))
    if TRANSITIONS.get((application.state, to_state)) != side:
        raise RuleBroken(_l("That change is not possible from here."))
    freed = _update_seat(application, to_state)
    application.state = to_state
    if to_state == "completed":
        _complete(application, hours, today or date.today())
    if note:
        application.partner_note = note.strip()
    _announce(application, to_state)
    if freed:
        promote_waitlisted(application.opportunity)
    return application


def _update_seat(application: Application, to_state: str) -> bool:
    """Take a seat on acceptance, give it back on a decline or withdrawal; True when one was freed."""
    opportunity = application.opportunity
    counted = application.kind == "apply" and opportunity.capacity is not None
    if to_state == "accepted" and counted and not application.holds_seat:
        if not take_seat(opportunity.id):
            raise RuleBroken(_l("No seats are left. Decline another student first, or keep this one waitlisted."))
        application.holds_seat = True
    if to_state in ("declined", "withdrawn") and application.holds_seat:
        give_back_seat(opportunity.id)
        application.holds_seat = False
        return True
    return False


def _complete(application: Application, hours: Decimal | None, today: date) -> None:
    application.completed_on = today
    if hours is not None:
        if not 0 <= hours <= 2000:
            raise RuleBroken(_l("Hours must be between 0 and 2000."))
        application.hours = hours


def _announce(application: Application, to_state: str) -> None:
    """Tell the student of the partner's decision, or the partner of a withdrawal."""
    titles = titles_of(application.opportunity)
    if to_state in NOTIFY_STUDENT:
        notify([application.student], "application_" + to_state, Page("applications.mine"), **titles)
    if to_state == "withdrawn":
        staff = partner_staff(application.opportunity.partner_id)
        notify(staff, "application_withdrawn", Page("applications.received"), **titles)


def promote_waitlisted(opportunity: Opportunity) -> None:
    """Give a freed seat to the student who has waited longest (in the caller's transaction)."""
    waiting = db.session.scalars(
        select(Application)
        .where(
            Application.opportunity_id == opportunity.id,
            Application.state == "waitlisted",
            Application.kind == "apply",
            Application.holds_seat.is_(False),
        )
        .order_by(Application.created_at, Application.id)
        .limit(1)
    ).first()
    if waiting is not None and take_seat(opportunity.id):
        waiting.holds_seat = True
        waiting.state = "submitted"
        notify([waiting.student], "application_seat_opened", Page("applications.mine"), **titles_of(opportunity))


WAITING = _l("Waiting for consent")


def for_partner_view(application: Application, reader: User | None = None) -> dict[str, Any]:
    """What partner staff may see of an applicant: first name, grade, school, answer. No contact
    details. With a ``reader`` the rule is asked (``policy.can_see_application_details``): while
    it says no, only the state and date are given, and ``details`` is False."""
    if reader is not None and not policy.can_see_application_details(reader, application):
        return {
            "id": application.id,
            "details": False,
            "first_name": WAITING,
            "grade": None,
            "school": "",
            "answer": None,
            "state": application.state,
            "kind": application.kind,
            "applied_on": application.created_at.date(),
        }
    student = application.student
    first_name = (student.name or "").split(" ")[0]
    return {
        "id": application.id,
        "details": True,
        "first_name": first_name,
        "grade": student.grade,
        "school": student.school.long_name if student.school else "",
        "answer": application.answer,
        "state": application.state,
        "kind": application.kind,
        "applied_on": application.created_at.date(),
    }


def visible_to(user: User) -> Select[tuple[Application]]:
    """The applications ``user`` may list: their own, their partner's, or all for specialists."""
    return select(Application).join(Opportunity).where(policy.applications_visible_to(user))
