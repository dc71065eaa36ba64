"""A family's learning licence, end to end: the request (a confirmed adult email, a name and a
language; the community area only if the family gives it), the distributor's answer (a seat
from its allocation through ``services.pools``, or a place on its waitlist), the holder's own
page (how to start, when it expires, renewing) and the specialists' counts.

The seat rules are the pools' own: ``pools.assign`` decides seat or waitlist, ``pools.renew``
and ``pools.expire`` the validity, ``flask pools remind`` the reminders. Nothing here restates them.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import current_app, has_request_context, request, url_for
from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cpspartners import policy
from cpspartners.accounts.auth import sign, signed_payload
from cpspartners.extensions import db
from cpspartners.mail import send_email
from cpspartners.models import CommunityArea, LicenceRequest, SeatAllocation, SeatAssignment, SeatWaitlistEntry, User
from cpspartners.policy import Person
from cpspartners.services import notify, pools
from cpspartners.services._base import transaction
from cpspartners.services.errors import NotAllowed, NotFound, RuleBroken

CONFIRM_SALT = "cpspartners.licence-confirm"
HOLDER_SALT = "cpspartners.licence-holder"
OPEN_STATUSES = ("unconfirmed", "requested")


def _now() -> datetime:
    return datetime.now(UTC)


def _base_url() -> str:
    """Where links in the emails point: this request's site, or SITE_URL from a command."""
    return request.host_url if has_request_context() else current_app.config["SITE_URL"]


def open_allocations() -> Sequence[SeatAllocation]:
    """The distributors a family can ask: allocations of open pools, by pool and distributor."""
    return db.session.scalars(
        select(SeatAllocation)
        .join(SeatAllocation.pool)
        .where(SeatAllocation.pool.has(is_open=True))
        .order_by(SeatAllocation.pool_id, SeatAllocation.id)
    ).all()


@transaction
def request_licence(
    allocation_id: int, name: str, email: str, language: str, area_number: int | None = None
) -> LicenceRequest:
    """Save (or refresh) a request and queue the confirmation email. The answer is the same
    whether or not the address asked before, so the form tells nobody who else asked."""
    from cpspartners import jobs

    allocation = db.session.get(SeatAllocation, allocation_id)
    if allocation is None or not allocation.pool.is_open:
        raise RuleBroken(_l("Choose one of the organizations in the list."))
    if area_number is not None and db.session.get(CommunityArea, area_number) is None:
        raise RuleBroken(_l("Choose a community area from the list, or leave it empty."))
    email = email.strip().lower()
    found = db.session.scalars(
        select(LicenceRequest).where(
            LicenceRequest.allocation_id == allocation_id,
            LicenceRequest.email == email,
            LicenceRequest.status.in_(OPEN_STATUSES),
        )
    ).first()
    req = found or LicenceRequest(allocation_id=allocation_id, email=email)
    req.name, req.language, req.community_area_number = name.strip(), language, area_number
    db.session.add(req)
    db.session.flush()
    jobs.later(jobs.send_licence_confirmation, req.id, _base_url())
    return req


def send_confirmation(request_id: int) -> object | None:
    """Mail the link that confirms a request, unless it is confirmed already (run as a job)."""
    req = db.session.get(LicenceRequest, request_id)
    if req is None or req.status != "unconfirmed":
        return None
    token = sign(CONFIRM_SALT, {"r": req.id, "e": req.email})
    link = url_for("licences.confirm", token=token, _external=True)
    return send_email(req.email, "licence_confirm", req.language, link=link, req=req)


@transaction
def confirm(token: str) -> LicenceRequest | None:
    """The request a confirmation link is for, now waiting for the distributor; None for a bad
    or old link. The distributor's staff are told once, on the first confirmation."""
    data = signed_payload(CONFIRM_SALT, token, current_app.config["CONFIRM_LINK_MAX_AGE"])
    req = db.session.get(LicenceRequest, data["r"]) if data and isinstance(data.get("r"), int) else None
    if req is None or req.email != data.get("e") or req.status == "withdrawn":
        return None
    if req.status == "unconfirmed":
        req.status, req.confirmed_at = "requested", _now()
        staff = db.session.scalars(select(User).where(policy.staff_of(req.allocation.distributor_id))).all()
        notify.notify(
            staff,
            "licence_requested",
            notify.Page("licences.manage"),
            pool=req.allocation.pool.name,
            pool_es=req.allocation.pool.name_es,
        )
    return req


def _distributed_by(actor: Person, req: LicenceRequest) -> None:
    if not policy.can_distribute_seats(actor, req.allocation):
        raise NotAllowed(_l("Only the organization this family asked can answer the request."))


def _open_request(request_id: int) -> LicenceRequest:
    req = db.session.get(LicenceRequest, request_id)
    if req is None:
        raise NotFound(_l("That request does not exist."))
    if req.status != "requested":
        raise RuleBroken(_l("This request has already been answered."))
    return req


@transaction
def grant(actor: Person, request_id: int, today: date | None = None) -> SeatAssignment | SeatWaitlistEntry:
    """A seat from the distributor's allocation, or its waitlist when full (``pools.assign``);
    the holder is emailed how to start once this is saved."""
    from cpspartners import jobs

    req = _open_request(request_id)
    _distributed_by(actor, req)
    seat = seat_of(req)
    if seat is not None and seat.status == "active":
        raise RuleBroken(_l("This family already holds a licence from you: renew it instead."))
    holder = pools.Holder(name=req.name, email=req.email, language=req.language)
    result = pools.assign(req.allocation_id, holder, today)
    req.status, req.handled_at = "handled", _now()
    jobs.later(jobs.send_licence_notice, req.id, _base_url())
    return result


@transaction
def decline(actor: Person, request_id: int) -> LicenceRequest:
    """The distributor cannot give this family a licence; its page shows the address it gave, to say why."""
    req = _open_request(request_id)
    _distributed_by(actor, req)
    req.status, req.handled_at = "withdrawn", _now()
    return req


def requests_for(actor: Person) -> Sequence[LicenceRequest]:
    """The confirmed requests waiting for the distributor ``actor`` works for, oldest first."""
    if not policy.is_partner_staff(actor):
        return []
    return db.session.scalars(
        select(LicenceRequest)
        .join(SeatAllocation)
        .where(SeatAllocation.distributor_id == actor.partner_id, LicenceRequest.status == "requested")
        .order_by(LicenceRequest.confirmed_at, LicenceRequest.id)
    ).all()


# --- The holder's side ---------------------------------------------------------------------------


def holder_link(req: LicenceRequest) -> str:
    """The holder's own page (no account needed): a signed link in every email we send them."""
    return url_for("licences.holder", token=sign(HOLDER_SALT, {"r": req.id, "e": req.email}), _external=True)


def from_holder_token(token: str) -> LicenceRequest | None:
    data = signed_payload(HOLDER_SALT, token, current_app.config["LICENCE_LINK_MAX_AGE"])
    req = db.session.get(LicenceRequest, data["r"]) if data and isinstance(data.get("r"), int) else None
    return req if req is not None and req.email == data.get("e") else None


def seat_of(req: LicenceRequest) -> SeatAssignment | None:
    """The seat the request led to (straight away or later from the waitlist), newest first."""
    return db.session.scalars(
        select(SeatAssignment)
        .where(
            SeatAssignment.allocation_id == req.allocation_id,
            SeatAssignment.holder_user_id.is_(None),
            SeatAssignment.holder_email == req.email,
        )
        .order_by(SeatAssignment.id.desc())
    ).first()


def waiting_entry(req: LicenceRequest) -> SeatWaitlistEntry | None:
    """The family's place on the distributor's waitlist, while they wait for a seat."""
    return db.session.scalars(
        select(SeatWaitlistEntry).where(
            SeatWaitlistEntry.allocation_id == req.allocation_id,
            SeatWaitlistEntry.holder_user_id.is_(None),
            SeatWaitlistEntry.holder_email == req.email,
            SeatWaitlistEntry.status == "waiting",
        )
    ).first()


def request_of(assignment: SeatAssignment) -> LicenceRequest | None:
    """The family request behind a seat, if it came from one (for the reminder's renewal link)."""
    if assignment.holder_user_id is not None or not assignment.holder_email:
        return None
    return db.session.scalars(
        select(LicenceRequest)
        .where(
            LicenceRequest.allocation_id == assignment.allocation_id,
            LicenceRequest.email == assignment.holder_email,
            LicenceRequest.status == "handled",
        )
        .order_by(LicenceRequest.id.desc())
    ).first()


def renewable_from(seat: SeatAssignment) -> date:
    """The first day the holder may renew: the pool's reminder window before expiry."""
    return seat.expires_on - timedelta(days=seat.allocation.pool.remind_days_before)


def notice_for(req: LicenceRequest) -> object | None:
    """Email the holder, in their language, the answer: how to start and when the licence
    expires, or their place on the waitlist (run as a job, after the answer is saved)."""
    seat = seat_of(req)
    return send_email(
        req.email,
        "licence_notice",
        req.language,
        req=req,
        seat=seat,
        link=holder_link(req),
        renew_from=_renew_day(seat),
    )


def _renew_day(seat: SeatAssignment | None) -> date | None:
    return renewable_from(seat) if seat is not None and seat.status != "released" else None


@transaction
def renew_by_holder(req: LicenceRequest, today: date | None = None) -> SeatAssignment:
    """The holder renews from their page, from the reminder window on (``pools.renew`` then
    applies the pool's rules: another period, and a lapsed seat only if one is free)."""
    today = today or date.today()
    seat = seat_of(req)
    if seat is None or seat.status == "released":
        raise RuleBroken(_l("There is no licence to renew on this request."))
    if today < renewable_from(seat):
        raise RuleBroken(_l("You can renew from %(day)s.", day=format_date(renewable_from(seat), "long")))
    return pools.renew(seat.id, today)


# --- Retention (docs/data-inventory.md) ----------------------------------------------------------

UNCONFIRMED_KEEP = timedelta(days=30)
ANSWERED_KEEP = timedelta(days=365)


def _last_day(req: LicenceRequest) -> date | None:
    """The day after which an answered request is only history: its licence ended, or the answer."""
    seat = seat_of(req)
    if seat is not None and seat.status == "active":
        return None
    if req.status == "handled" and seat is None and waiting_entry(req) is not None:
        return None  # still waiting for a seat
    answered = req.handled_at.date() if req.handled_at else req.created_at.date()
    return max(answered, seat.expires_on) if seat is not None else answered


@transaction
def prune(today: date | None = None) -> int:
    """Delete requests never confirmed after 30 days, and answered ones a year after their
    licence (or the answer) ended. For a daily cron; returns how many went."""
    today = today or date.today()
    gone = 0
    for req in db.session.scalars(select(LicenceRequest).order_by(LicenceRequest.id)).all():
        if req.status == "unconfirmed":
            old = req.created_at.date() < today - UNCONFIRMED_KEEP
        elif req.status == "requested":
            old = False
        else:
            last = _last_day(req)
            old = last is not None and last < today - ANSWERED_KEEP
        if old:
            db.session.delete(req)
            gone += 1
    return gone


# --- The specialists' counts ---------------------------------------------------------------------


@dataclass(frozen=True)
class AreaUse:
    area: str
    requests: int
    waiting: int
    handled: int
    active_seats: int


@dataclass(frozen=True)
class LicenceReport:
    by_status: dict[str, int]
    median_wait_days: float | None
    on_waitlist: int
    active_seats: int
    areas: list[AreaUse]


def report() -> LicenceReport:
    """Requests by status, how long families wait for an answer, seats in use, by community area."""
    rows = db.session.scalars(select(LicenceRequest).where(LicenceRequest.status != "unconfirmed")).all()
    waits = [(r.handled_at - r.confirmed_at).total_seconds() / 86400 for r in rows if r.handled_at and r.confirmed_at]
    by_status = dict(
        db.session.execute(select(LicenceRequest.status, func.count()).group_by(LicenceRequest.status)).tuples().all()
    )
    seats = {r.id: seat_of(r) for r in rows if r.status == "handled"}
    return LicenceReport(
        by_status,
        round(statistics.median(waits), 1) if waits else None,
        sum(1 for r in rows if r.status == "handled" and seats[r.id] is None and waiting_entry(r) is not None),
        sum(1 for s in seats.values() if s is not None and s.status == "active"),
        _by_area(rows, seats),
    )


def _by_area(rows: Sequence[LicenceRequest], seats: dict[int, SeatAssignment | None]) -> list[AreaUse]:
    groups: dict[str, list[LicenceRequest]] = {}
    for r in rows:
        groups.setdefault(r.community_area.name if r.community_area else "", []).append(r)
    return [
        AreaUse(
            name,
            len(group),
            sum(1 for r in group if r.status == "requested"),
            sum(1 for r in group if r.status == "handled"),
            sum(1 for r in group if (seat := seats.get(r.id)) is not None and seat.status == "active"),
        )
        for name, group in sorted(groups.items(), key=lambda item: (item[0] == "", item[0]))
    ]
