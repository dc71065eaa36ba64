"""Seat pool operations: allocate, assign (or waitlist), renew, release, expire, remind, report.

Each operation is one transaction. Seats are counted under a row lock on the allocation (and on
the pool when allocating), so two distributors' staff assigning the last seat at the same moment
cannot both get it on PostgreSQL; SQLite serialises writers anyway.
"""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import SeatAllocation, SeatAssignment, SeatPool, SeatWaitlistEntry, User
from cpspartners.services._base import transaction
from cpspartners.services.errors import NotAllowed, NotFound, RuleBroken
from cpspartners.services.notify import Page, notify


class PoolError(RuleBroken):
    """A rule of the pool was broken; the message says which, in plain words."""


def _locked(model: type[SeatPool] | type[SeatAllocation], ident: int) -> SeatPool | SeatAllocation:
    obj = db.session.scalars(select(model).where(model.id == ident).with_for_update()).first()
    if obj is None:
        raise NotFound(_l("That pool or allocation does not exist."))
    return obj


def allocated_seats(pool_id: int) -> int:
    return db.session.scalar(
        select(func.coalesce(func.sum(SeatAllocation.seats), 0)).where(SeatAllocation.pool_id == pool_id)
    )


def active_count(allocation_id: int) -> int:
    return db.session.scalar(  # type: ignore[return-value]  # a count is never NULL
        select(func.count())
        .select_from(SeatAssignment)
        .where(SeatAssignment.allocation_id == allocation_id, SeatAssignment.status == "active")
    )


@transaction
def create_pool(
    name: str, name_es: str, provider_id: int, total_seats: int, validity_days: int, remind_days_before: int
) -> SeatPool:
    """A new pool of a provider's seats, none allocated yet."""
    pool = SeatPool(
        name=name,
        name_es=name_es,
        provider_id=provider_id,
        total_seats=total_seats,
        validity_days=validity_days,
        remind_days_before=remind_days_before,
    )
    db.session.add(pool)
    return pool


@transaction
def allocate(pool_id: int, distributor_id: int, seats: int) -> SeatAllocation:
    """Give (or change) a distributor's share; the pool's total can never be exceeded."""
    pool = _locked(SeatPool, pool_id)
    if seats < 1:
        raise PoolError(_l("An allocation needs at least one seat."))
    current = db.session.scalars(
        select(SeatAllocation).where(SeatAllocation.pool_id == pool.id, SeatAllocation.distributor_id == distributor_id)
    ).first()
    others = allocated_seats(pool.id) - (current.seats if current else 0)
    if others + seats > pool.total_seats:
        raise PoolError(_l("Not enough seats left to allocate in this pool: %(n)d.", n=pool.total_seats - others))
    if current and active_count(current.id) > seats:
        raise PoolError(_l("Seats this distributor already has in use: %(n)d.", n=active_count(current.id)))
    if current is None:
        current = SeatAllocation(pool_id=pool.id, distributor_id=distributor_id, seats=seats)
        db.session.add(current)
    else:
        current.seats = seats
    return current


@dataclass(frozen=True)
class Holder:
    """Who a seat is for: a family (a name and an adult's email for reminders), or a student,
    known to the distributor by name only, who claims the seat with a code (``claim``).

    A distributor never names a student's account: looking one up by email would tell a partner
    whether an address belongs to a student, and then the student's name. ``user_id`` is for the
    seats given before codes, and for tests."""

    user_id: int | None = None
    name: str = ""
    email: str = ""
    language: str = "en"

    def fields(self) -> dict[str, Any]:
        return {
            "holder_user_id": self.user_id,
            "holder_name": "" if self.user_id else self.name.strip(),
            "holder_email": "" if self.user_id else self.email.strip(),
            "holder_language": self.language,
        }


# Codes a student types from a note or a message: no 0/O, 1/I/L, or U (no words by accident).
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"
CODE_LENGTH = 10  # 30**10 ≈ 6e14: guessing one is hopeless; shown as two groups of five


def new_claim_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def shown_code(code: str) -> str:
    """``ABCDEFGHJK`` as it is printed for a person: ``ABCDE-FGHJK``."""
    return code[:5] + "-" + code[5:] if code else ""


def typed_code(text: str) -> str:
    """A code as a student typed it (any case, spaces or dashes) in its stored form."""
    return "".join(c for c in (text or "").upper() if c.isalnum())[:24]


def waits_for_claim(holder_user_id: int | None, holder_email: str) -> bool:
    """The one rule for which seats are a student's, to be claimed with a code: a seat held by a
    name with no account and no adult's email (a family always gives an adult's email)."""
    return holder_user_id is None and not holder_email


def _code_if_claimable(fields: dict[str, Any]) -> dict[str, Any]:
    claimable = waits_for_claim(fields.get("holder_user_id"), fields.get("holder_email", ""))
    return {**fields, "claim_code": new_claim_code() if claimable else None}


@transaction
def assign(allocation_id: int, holder: Holder, today: date | None = None) -> SeatAssignment | SeatWaitlistEntry:
    """A seat if one is free, else a place on the waitlist. Returns the assignment or the entry."""
    today = today or date.today()
    if not holder.user_id and not holder.name.strip():
        raise PoolError(_l("Give the student's or the family's name."))
    allocation = _locked(SeatAllocation, allocation_id)
    if not allocation.pool.is_open:
        raise PoolError(_l("This pool is closed."))
    result: SeatAssignment | SeatWaitlistEntry
    if active_count(allocation.id) < allocation.seats:
        result = SeatAssignment(
            allocation_id=allocation.id, **_validity(allocation, today), **_code_if_claimable(holder.fields())
        )
        _tell_account(holder.user_id, allocation)
    else:
        result = SeatWaitlistEntry(allocation_id=allocation.id, **holder.fields())
    db.session.add(result)
    return result


def _validity(allocation: SeatAllocation, today: date) -> dict[str, date]:
    """First and last day of a seat given today: the pool's validity period."""
    return {"starts_on": today, "expires_on": today + timedelta(days=allocation.pool.validity_days - 1)}


@transaction
def renew(assignment_id: int, today: date | None = None) -> SeatAssignment:
    """Another validity period, from the old expiry (or today, if it has lapsed)."""
    today = today or date.today()
    assignment = db.session.get(SeatAssignment, assignment_id)
    if assignment is None or assignment.status == "released":
        raise PoolError(_l("That seat cannot be renewed."))
    start = max(today, assignment.expires_on + timedelta(days=1))
    if assignment.status == "expired":
        # A lapsed seat can only come back if the allocation still has room.
        allocation = _locked(SeatAllocation, assignment.allocation_id)
        if active_count(allocation.id) >= allocation.seats:
            raise PoolError(_l("No seat is free to renew this licence."))
        assignment.status = "active"
    assignment.expires_on = start + timedelta(days=assignment.allocation.pool.validity_days - 1)
    assignment.renewals += 1
    assignment.reminded_on = None
    return assignment


@transaction
def release(assignment_id: int, today: date | None = None) -> list[SeatAssignment]:
    """Give a seat back; the first person waiting gets it."""
    assignment = db.session.get(SeatAssignment, assignment_id)
    if assignment is None or assignment.status != "active":
        raise PoolError(_l("That seat is not in use."))
    assignment.status = "released"
    db.session.flush()
    return promote_waitlist(assignment.allocation, today or date.today())


def promote_waitlist(allocation: SeatAllocation, today: date) -> list[SeatAssignment]:
    """Fill free seats from the waitlist, oldest first, in the caller's transaction."""
    free = allocation.seats - active_count(allocation.id)
    waiting = db.session.scalars(
        select(SeatWaitlistEntry)
        .where(SeatWaitlistEntry.allocation_id == allocation.id, SeatWaitlistEntry.status == "waiting")
        .order_by(SeatWaitlistEntry.created_at, SeatWaitlistEntry.id)
        .limit(max(free, 0))
    ).all()
    promoted = [_seat_for(entry, allocation, today) for entry in waiting]
    db.session.add_all(promoted)
    db.session.flush()
    return promoted


def _seat_for(entry: SeatWaitlistEntry, allocation: SeatAllocation, today: date) -> SeatAssignment:
    """The seat a waiting person gets; their waitlist entry is done."""
    entry.status = "assigned"
    _tell_account(entry.holder_user_id, allocation)
    holder = {
        "holder_user_id": entry.holder_user_id,
        "holder_name": entry.holder_name,
        "holder_email": entry.holder_email,
        "holder_language": entry.holder_language,
    }
    return SeatAssignment(allocation_id=allocation.id, **_code_if_claimable(holder), **_validity(allocation, today))


def _tell_account(user_id: int | None, allocation: SeatAllocation) -> None:
    """A student account that gets a seat is told on the site (and by email, ``send_seat_given``)."""
    if user_id is None:
        return
    user = db.session.get(User, user_id)
    notify(
        [user],
        "seat_given",
        Page("pools.my_seats"),
        pool=allocation.pool.name,
        pool_es=allocation.pool.name_es,
        distributor=allocation.distributor.name,
    )


WRONG_CODE = _l(
    "That code does not match a seat waiting to be claimed. Check it with the organization that gave it to you."
)


@transaction
def claim(student: User, code: str, today: date | None = None) -> SeatAssignment:
    """The seat whose code ``student`` typed becomes theirs; the code is used up. The name the
    distributor gave is dropped: the seat now belongs to the account."""
    if not policy.is_student_account(student):
        raise NotAllowed(_l("Only students claim seats with a code."))
    wanted = typed_code(code)
    assignment = (
        db.session.scalars(select(SeatAssignment).where(SeatAssignment.claim_code == wanted).with_for_update()).first()
        if len(wanted) == CODE_LENGTH
        else None
    )
    if assignment is None or assignment.holder_user_id is not None:
        raise RuleBroken(WRONG_CODE)
    if assignment.status != "active" or assignment.expires_on < (today or date.today()):
        raise RuleBroken(_l("That seat has expired or was given back. Ask the organization that gave you the code."))
    assignment.holder_user_id = student.id
    assignment.holder_name = ""
    assignment.holder_email = ""
    assignment.holder_language = student.preferred_language
    assignment.claim_code = None
    return assignment


def seats_of(student: User) -> Sequence[SeatAssignment]:
    """The seats a student holds, newest first."""
    return db.session.scalars(
        select(SeatAssignment)
        .where(SeatAssignment.holder_user_id == student.id)
        .order_by(SeatAssignment.expires_on.desc(), SeatAssignment.id.desc())
    ).all()


@transaction
def expire(today: date | None = None) -> tuple[Sequence[SeatAssignment], list[SeatAssignment]]:
    """Mark lapsed seats expired and hand freed seats to the waitlist. For a daily cron."""
    today = today or date.today()
    lapsed = db.session.scalars(
        select(SeatAssignment).where(SeatAssignment.status == "active", SeatAssignment.expires_on < today)
    ).all()
    for assignment in lapsed:
        assignment.status = "expired"
    db.session.flush()
    promoted = []
    for allocation in {a.allocation for a in lapsed}:
        promoted.extend(promote_waitlist(allocation, today))
    return lapsed, promoted


def due_reminders(today: date | None = None) -> list[SeatAssignment]:
    """Active seats whose expiry is within the pool's reminder window and not yet reminded."""
    today = today or date.today()
    candidates = db.session.scalars(
        select(SeatAssignment)
        .join(SeatAllocation)
        .join(SeatPool)
        .where(
            SeatAssignment.status == "active", SeatAssignment.reminded_on.is_(None), SeatAssignment.expires_on >= today
        )
    ).all()
    return [a for a in candidates if a.expires_on - today <= timedelta(days=a.allocation.pool.remind_days_before)]


@transaction
def mark_reminded(assignments: Iterable[SeatAssignment], today: date | None = None) -> None:
    for assignment in assignments:
        assignment.reminded_on = today or date.today()


@dataclass(frozen=True)
class PoolUsage:
    pool: SeatPool
    allocated: int
    active: int
    expired: int
    released: int
    waiting: int

    @property
    def unallocated(self) -> int:
        return self.pool.total_seats - self.allocated


def usage(pool: SeatPool) -> PoolUsage:
    """How a pool's seats are used, for the report."""
    counts = dict(
        db.session.execute(
            select(SeatAssignment.status, func.count())
            .join(SeatAllocation)
            .where(SeatAllocation.pool_id == pool.id)
            .group_by(SeatAssignment.status)
        )
        .tuples()
        .all()
    )
    waiting = db.session.scalar(
        select(func.count())
        .select_from(SeatWaitlistEntry)
        .join(SeatAllocation)
        .where(SeatAllocation.pool_id == pool.id, SeatWaitlistEntry.status == "waiting")
    )
    return PoolUsage(
        pool,
        allocated_seats(pool.id),
        counts.get("active", 0),
        counts.get("expired", 0),
        counts.get("released", 0),
        waiting,  # type: ignore[arg-type]  # a count is never NULL
    )
