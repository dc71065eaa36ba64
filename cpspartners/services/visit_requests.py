"""Teachers' requests for a guest speaker or classroom partner, from request to visit to feedback.

requested -> accepted (partner picks one of the teacher's dates)
requested -> proposed (partner offers another date) -> accepted | cancelled (teacher answers)
requested | proposed -> declined (partner) ; requested | proposed | accepted -> cancelled (teacher)
accepted, after the visit date -> completed (both confirm) | did_not_happen (either says no)
Requests unanswered for ``REQUEST_ESCALATION_DAYS`` are flagged to specialists, who may reassign them.
"""

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, User, VisitRequest
from cpspartners.services._base import transaction
from cpspartners.services.errors import NotAllowed, RuleBroken
from cpspartners.services.notify import Page, notify, partner_staff, specialists


def _require(user: User | None, request_: VisitRequest, *sides: str) -> str:
    side = policy.visit_side(user, request_)
    if side is None:
        raise NotAllowed(_l("This request is not yours."))
    if side not in sides and not (side == "specialist" and "partner" in sides):
        raise NotAllowed(_l("Only the other side can do this."))
    return side


def _state(request_: VisitRequest, *states: str) -> None:
    if request_.state not in states:
        raise RuleBroken(_l("That change is not possible from here."))


@transaction
def create(
    teacher: User,
    partner: Partner,
    topic: str,
    grade: int,
    class_size: int,
    dates: Iterable[date | None],
    modality: str = "in_person",
    subject: str = "",
    message: str = "",
    opportunity: Opportunity | None = None,
    today: date | None = None,
    starts_at: time | None = None,
    ends_at: time | None = None,
) -> VisitRequest:
    """A new request; dates must be in the future, one to three of them; the class period
    (Chicago time) is optional."""
    _check_can_request(teacher, partner)
    chosen = _future_dates(dates, today or date.today())
    problem = class_time_problem(starts_at, ends_at)
    if problem:
        raise RuleBroken(problem)
    req = VisitRequest(
        teacher_id=teacher.id,
        partner_id=partner.id,
        school_id=teacher.school_id,
        opportunity_id=opportunity.id if opportunity else None,
        topic=topic.strip(),
        subject=subject.strip(),
        grade=grade,
        class_size=class_size,
        modality=modality,
        message=message.strip(),
        date_1=chosen[0],
        date_2=chosen[1] if len(chosen) > 1 else None,
        date_3=chosen[2] if len(chosen) > 2 else None,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    db.session.add(req)
    _tell_partner(req, partner.id, teacher.school.long_name)
    return req


def class_time_problem(starts_at: time | None, ends_at: time | None) -> LazyString | None:
    """Why a class period cannot be stored, or None: an end needs a start, and comes after it."""
    if ends_at is not None and starts_at is None:
        return _l("Give the time the class starts as well as when it ends.")
    if ends_at is not None and starts_at is not None and ends_at <= starts_at:
        return _l("The class must end after it starts.")
    return None


def _check_can_request(teacher: User, partner: Partner) -> None:
    if not policy.can_request_visits(teacher):
        raise NotAllowed(_l("Only teachers can request a speaker or partner."))
    if not partner.is_active:
        raise RuleBroken(_l("This partner is not taking requests."))


def _tell_partner(req: VisitRequest, partner_id: int, school: str) -> None:
    """A new request for the partner's staff (``school``: the request's school is not loaded yet)."""
    staff = partner_staff(partner_id)
    notify(staff, "request_new", Page("visits.received"), topic=req.topic, grade=req.grade, school=school)


def _future_dates(dates: Iterable[date | None], today: date) -> list[date]:
    """The distinct dates given, in order; one to three, all after ``today``."""
    chosen = sorted(dict.fromkeys(d for d in dates if d))
    if not 1 <= len(chosen) <= 3:
        raise RuleBroken(_l("Give one to three dates."))
    if any(d <= today for d in chosen):
        raise RuleBroken(_l("Dates must be after today."))
    return chosen


@transaction
def accept(actor: User, req: VisitRequest, visit_date: date, note: str = "") -> VisitRequest:
    _require(actor, req, "partner")
    _state(req, "requested")
    if visit_date not in req.proposed_dates:
        raise RuleBroken(_l("Choose one of the teacher's dates, or propose another."))
    req.state, req.visit_date, req.response_note, req.flagged_at = "accepted", visit_date, note.strip(), None
    notify([req.teacher], "request_accepted", Page("visits.mine"), topic=req.topic, date=visit_date.isoformat())
    return req


@transaction
def propose(
    actor: User, req: VisitRequest, other_date: date, note: str = "", today: date | None = None
) -> VisitRequest:
    _require(actor, req, "partner")
    _state(req, "requested")
    if other_date <= (today or date.today()):
        raise RuleBroken(_l("Dates must be after today."))
    req.state, req.proposed_date, req.response_note, req.flagged_at = "proposed", other_date, note.strip(), None
    notify([req.teacher], "request_proposed", Page("visits.mine"), topic=req.topic, date=other_date.isoformat())
    return req


@transaction
def decline(actor: User, req: VisitRequest, note: str = "") -> VisitRequest:
    _require(actor, req, "partner")
    _state(req, "requested", "proposed")
    req.state, req.response_note, req.flagged_at = "declined", note.strip(), None
    notify([req.teacher], "request_declined", Page("visits.mine"), topic=req.topic)
    return req


@transaction
def answer_proposal(actor: User, req: VisitRequest, accept_it: bool) -> VisitRequest:
    _require(actor, req, "teacher")
    _state(req, "proposed")
    if accept_it:
        req.state, req.visit_date = "accepted", req.proposed_date
        notify(
            partner_staff(req.partner_id),
            "request_proposal_accepted",
            Page("visits.received"),
            topic=req.topic,
            date=req.visit_date.isoformat(),
        )
    else:
        req.state = "cancelled"
        notify(partner_staff(req.partner_id), "request_cancelled", Page("visits.received"), topic=req.topic)
    return req


@transaction
def cancel(actor: User, req: VisitRequest, today: date | None = None) -> VisitRequest:
    _require(actor, req, "teacher")
    _state(req, "requested", "proposed", "accepted")
    if req.state == "accepted" and req.visit_date <= (today or date.today()):
        raise RuleBroken(_l("The visit date has passed: confirm whether it happened instead."))
    req.state = "cancelled"
    notify(partner_staff(req.partner_id), "request_cancelled", Page("visits.received"), topic=req.topic)
    return req


@transaction
def confirm(actor: User, req: VisitRequest, happened: bool, today: date | None = None) -> VisitRequest:
    """After the visit date each side says whether it happened; both yes -> completed."""
    side = _require(actor, req, "teacher", "partner")
    _state(req, "accepted")
    if req.visit_date > (today or date.today()):
        raise RuleBroken(_l("You can confirm the visit after it has taken place."))
    if side == "teacher":
        req.teacher_confirmed = bool(happened)
    else:
        req.partner_confirmed = bool(happened)
    if req.teacher_confirmed is False or req.partner_confirmed is False:
        req.state = "did_not_happen"
    elif req.teacher_confirmed and req.partner_confirmed:
        req.state = "completed"
    return req


@transaction
def escalate(days: int, now: datetime | None = None) -> Sequence[VisitRequest]:
    """Flag requests unanswered for ``days`` and tell specialists. Returns the flagged requests."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=days)
    stale = db.session.scalars(
        select(VisitRequest).where(
            VisitRequest.state == "requested",
            VisitRequest.flagged_at.is_(None),
            VisitRequest.created_at <= cutoff,
        )
    ).all()
    people = specialists()
    for req in stale:
        req.flagged_at = now
        notify(people, "request_flagged", Page("visits.flagged"), topic=req.topic, days=days)
    return stale


@transaction
def ask_for_confirmation(today: date | None = None) -> Sequence[VisitRequest]:
    """Accepted visits whose date has passed and that one side has not confirmed: remind both sides."""
    today = today or date.today()
    due = db.session.scalars(
        select(VisitRequest).where(VisitRequest.state == "accepted", VisitRequest.visit_date < today)
    ).all()
    for req in due:
        people = ([req.teacher] if req.teacher_confirmed is None else []) + (
            partner_staff(req.partner_id) if req.partner_confirmed is None else []  # type: ignore[operator]
        )
        notify(
            people,
            "request_confirm",
            Page("visits.detail", {"visit_id": req.id}),
            topic=req.topic,
            date=req.visit_date.isoformat(),
        )
    return due


@transaction
def reassign(actor: User, req: VisitRequest, new_partner: Partner) -> VisitRequest:
    """A specialist hands an unanswered request to another partner."""
    if policy.visit_side(actor, req) != "specialist":
        raise NotAllowed(_l("Only partnership specialists can reassign a request."))
    _state(req, "requested", "proposed", "declined")
    if new_partner.id == req.partner_id or not new_partner.is_active:
        raise RuleBroken(_l("Choose another active partner."))
    req.partner_id, req.state, req.flagged_at, req.proposed_date = new_partner.id, "requested", None, None
    _tell_partner(req, new_partner.id, req.school.long_name)
    notify([req.teacher], "request_reassigned", Page("visits.mine"), topic=req.topic, partner=new_partner.name)
    return req
