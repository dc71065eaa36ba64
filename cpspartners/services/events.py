"""Sign-ups for community events: a place or the waitlist, cancelling (the longest waiting
gets the freed place), reminders, attendance, and the figures the outcomes count.

A place is one of the listing's seats, taken by the conditional UPDATE applications use
(``applications.take_seat``) under the listing's CHECK constraint, so two people signing up for
the last place at once cannot both get it. A waiting sign-up is promoted by a conditional
UPDATE on its own row too, so two cancellations at once never give one person two places.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formats.ical import Entry
from cpspartners.models import EventSignup, Opportunity, User
from cpspartners.models.opportunity import COMMUNITY_EVENT
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.applications import closed_reason, give_back_seat, take_seat
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken
from cpspartners.services.notify import Page, notify, titles_of

EVENT_KIND = COMMUNITY_EVENT
REMIND_DAYS_BEFORE = 2


def is_event(opp: Opportunity) -> bool:
    """The listings that take sign-ups (the others take applications)."""
    return bool(opp.takes_sign_ups)


def refusal(opp: Opportunity, today: date) -> LazyString | None:
    """Why nobody may sign up for ``opp`` on ``today``, or None."""
    if not is_event(opp):
        return _l("Only community events take sign-ups.")
    closed = closed_reason(opp, today)
    if closed is not None:
        return closed
    if opp.starts_on is not None and opp.starts_on < today:
        return _l("This event has already taken place.")
    return None


def signup_of(user: User, opp: Opportunity) -> EventSignup | None:
    return db.session.scalars(
        select(EventSignup).where(EventSignup.opportunity_id == opp.id, EventSignup.user_id == user.id)
    ).first()


@transaction
def sign_up(user: User, opp: Opportunity, today: date | None = None) -> EventSignup:
    """A place if one is left, else the waitlist. Signing up again after cancelling goes to the back."""
    if not policy.signs_up_for_events(user):
        raise NotAllowed(_l("Sign in with an approved account to sign up."))
    reason = refusal(opp, today or date.today())
    if reason is not None:
        raise RuleBroken(reason)
    signup = signup_of(user, opp)
    if signup is not None and signup.state != "cancelled":
        raise Conflict(_l("You have already signed up for this event."))
    got = take_seat(opp.id)
    if signup is None:
        signup = EventSignup(opportunity_id=opp.id, user_id=user.id)
        db.session.add(signup)
    signup.state, signup.holds_place = ("confirmed", True) if got else ("waitlisted", False)
    signup.created_at = utcnow()  # the waitlist's order
    signup.reminded_at = None
    try:
        db.session.flush()
    except IntegrityError:  # the same person's second click, at the same moment
        raise Conflict(_l("You have already signed up for this event.")) from None
    kind = "event_confirmed" if got else "event_waitlisted"
    notify([user], kind, Page("events.mine"), **titles_of(opp))
    return signup


@transaction
def cancel(user: User, signup: EventSignup) -> EventSignup:
    """The person gives up their place (or their spot on the waitlist)."""
    if not policy.owns_signup(user, signup):
        raise NotAllowed(_l("This sign-up is not yours."))
    if signup.state == "cancelled":
        raise Conflict(_l("This sign-up was already cancelled."))
    freed = signup.holds_place
    signup.state, signup.holds_place = "cancelled", False
    db.session.flush()
    if freed:
        give_back_seat(signup.opportunity_id)
        promote(signup.opportunity)
    return signup


def promote(opp: Opportunity) -> EventSignup | None:
    """Give a freed place to whoever has waited longest (in the caller's transaction)."""
    for waiting in _waiting(opp):
        if not take_seat(opp.id):
            return None
        claimed = db.session.execute(
            update(EventSignup)
            .where(EventSignup.id == waiting.id, EventSignup.state == "waitlisted")
            .values(state="confirmed", holds_place=True)
        )
        if claimed.rowcount == 1:  # type: ignore[attr-defined]  # a CursorResult
            db.session.refresh(waiting)
            notify([waiting.user], "event_place_opened", Page("events.mine"), **titles_of(opp))
            return waiting
        give_back_seat(opp.id)  # someone else promoted this one meanwhile: try the next
    return None


def _waiting(opp: Opportunity) -> Sequence[EventSignup]:
    return db.session.scalars(
        select(EventSignup)
        .where(EventSignup.opportunity_id == opp.id, EventSignup.state == "waitlisted")
        .order_by(EventSignup.created_at, EventSignup.id)
        .limit(5)
    ).all()


@transaction
def mark_attendance(actor: User, signup: EventSignup, attended: bool, today: date | None = None) -> EventSignup:
    """Staff of the event's partner, or a specialist, record whether a person came."""
    opp = signup.opportunity
    if not policy.takes_attendance(actor, opp):
        raise NotAllowed(_l("Only the event's partner or a specialist takes attendance."))
    if signup.state != "confirmed":
        raise RuleBroken(_l("Only people with a place can be marked as attending."))
    if opp.starts_on is not None and opp.starts_on > (today or date.today()):
        raise RuleBroken(_l("Attendance is taken on or after the day of the event."))
    signup.attended = attended
    signup.marked_by_id = actor.id
    return signup


def mine(user: User) -> Select[tuple[EventSignup]]:
    return (
        select(EventSignup)
        .join(Opportunity)
        .where(EventSignup.user_id == user.id, EventSignup.state != "cancelled")
        .order_by(Opportunity.starts_on.is_(None), Opportunity.starts_on, EventSignup.id)
    )


def roster(opp: Opportunity) -> Sequence[EventSignup]:
    """Everyone signed up (places first, then the waitlist in order)."""
    return db.session.scalars(
        select(EventSignup)
        .where(EventSignup.opportunity_id == opp.id, EventSignup.state != "cancelled")
        .order_by(EventSignup.state, EventSignup.created_at, EventSignup.id)
    ).all()


@dataclass(frozen=True)
class EventFigures:
    confirmed: int
    waitlisted: int
    attended: int
    capacity: int | None


def figures(opp: Opportunity) -> EventFigures:
    counts = dict(
        db.session.execute(
            select(EventSignup.state, func.count())
            .where(EventSignup.opportunity_id == opp.id)
            .group_by(EventSignup.state)
        )
        .tuples()
        .all()
    )
    attended = db.session.scalar(
        select(func.count()).where(EventSignup.opportunity_id == opp.id, EventSignup.attended.is_(True))
    )
    return EventFigures(counts.get("confirmed", 0), counts.get("waitlisted", 0), attended or 0, opp.capacity)


# --- Reminders (``flask events remind``, daily) -----------------------------------------------------


def due_reminders(today: date, days_before: int = REMIND_DAYS_BEFORE) -> Sequence[EventSignup]:
    """Confirmed places at events from ``today`` to ``days_before`` days on, not reminded yet."""
    return db.session.scalars(
        select(EventSignup)
        .join(Opportunity)
        .where(
            EventSignup.state == "confirmed",
            EventSignup.reminded_at.is_(None),
            Opportunity.starts_on.between(today, today + timedelta(days=days_before)),
            Opportunity.is_public,
        )
        .order_by(EventSignup.id)
    ).all()


@transaction
def send_reminders(today: date | None = None, days_before: int = REMIND_DAYS_BEFORE) -> int:
    """Queue one reminder per due place and mark it, so a second run sends nothing twice."""
    due = due_reminders(today or date.today(), days_before)
    for signup in due:
        opp = signup.opportunity
        day = opp.starts_on.isoformat() if opp.starts_on else ""
        notify([signup.user], "event_reminder", Page("events.mine"), **titles_of(opp), date=day)
        signup.reminded_at = utcnow()
    return len(due)


def calendar_entry(signup: EventSignup, url: str, locale: str) -> Entry | None:
    """The event as one calendar entry, or None when it has no date yet."""
    opp = signup.opportunity
    if opp.starts_on is None:
        return None
    where = ", ".join(part for part in (opp.location_name, opp.address) if part)
    return Entry(
        "event-%d@cpspartners" % opp.id,
        opp.localized("title", locale),
        opp.starts_on,
        opp.ends_on,
        description=opp.localized("summary", locale),
        url=url,
        location=where,
    )
