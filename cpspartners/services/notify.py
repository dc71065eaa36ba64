"""Notifications: written in the same transaction as the change they announce, rendered in the
recipient's language when shown, emailed later by ``flask notifications send`` (never in a request).

Each one leads to a ``Page`` (an endpoint and its URL arguments); the URL is built when the
notification is shown or emailed, so it always points where the route is now.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date

from flask import current_app, request, url_for
from flask_babel import force_locale, format_date, format_decimal, get_locale, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from werkzeug.routing import BuildError

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Notification, Opportunity, User
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.errors import NotAllowed

MESSAGES = {
    "application_new": _l("New application for \u201c%(title)s\u201d from a grade %(grade)s student at %(school)s."),
    "application_waiting": _l(
        "New application for \u201c%(title)s\u201d. You will see it once the consent the district requires is on record."
    ),
    "application_accepted": _l("You were accepted for \u201c%(title)s\u201d."),
    "application_waitlisted": _l("You are on the waitlist for \u201c%(title)s\u201d."),
    "application_declined": _l("Your application for \u201c%(title)s\u201d was not accepted this time."),
    "application_withdrawn": _l("A student withdrew their application for \u201c%(title)s\u201d."),
    "application_completed": _l("\u201c%(title)s\u201d is marked as completed. Well done!"),
    "application_seat_opened": _l("A seat opened for \u201c%(title)s\u201d: your application is back under review."),
    "request_new": _l("A teacher at %(school)s asks for \u201c%(topic)s\u201d (grade %(grade)s)."),
    "request_accepted": _l("Your request \u201c%(topic)s\u201d was accepted for %(date)s."),
    "request_proposed": _l("The partner proposes %(date)s for \u201c%(topic)s\u201d."),
    "request_declined": _l("Your request \u201c%(topic)s\u201d was declined."),
    "request_cancelled": _l("The teacher cancelled the request \u201c%(topic)s\u201d."),
    "request_proposal_accepted": _l("The teacher accepted %(date)s for \u201c%(topic)s\u201d."),
    "request_reassigned": _l("Your request \u201c%(topic)s\u201d was passed to %(partner)s."),
    "request_confirm": _l("Did the visit \u201c%(topic)s\u201d on %(date)s happen? Please confirm."),
    "seat_given": _l("You have a seat in %(pool)s from %(distributor)s. See it and how to use it in My seats."),
    "licence_requested": _l("A family confirmed a request for a licence from \u201c%(pool)s\u201d."),
    "message_new": _l("New message about \u201c%(title)s\u201d."),
    "event_confirmed": _l("You have a place at \u201c%(title)s\u201d."),
    "event_waitlisted": _l("\u201c%(title)s\u201d is full: you are on the waitlist."),
    "event_place_opened": _l("A place opened at \u201c%(title)s\u201d: it is yours."),
    "event_reminder": _l("Reminder: \u201c%(title)s\u201d is on %(date)s."),
}


# Messages with a number in them, in the plural form the reader's language gives that number
# (the number shown as the reader writes it: "1.250").
def _flagged(shown: Mapping[str, str], number: int) -> str:
    return ngettext(
        "The request \u201c%(topic)s\u201d has had no answer for %(days)s day.",
        "The request \u201c%(topic)s\u201d has had no answer for %(days)s days.",
        number,
        topic=shown["topic"],
        days=shown["days"],
    )


def _lapsed(shown: Mapping[str, str], number: int) -> str:
    return ngettext(
        "%(partner)s is no longer vetted: %(records)s. Its %(count)s published listing for students is "
        "hidden from students until the records are current.",
        "%(partner)s is no longer vetted: %(records)s. Its %(count)s published listings for students are "
        "hidden from students until the records are current.",
        number,
        partner=shown["partner"],
        records=shown["records"],
        count=shown["count"],
    )


COUNTED_MESSAGES: dict[str, tuple[str, Callable[[Mapping[str, str], int], str]]] = {
    "request_flagged": ("days", _flagged),
    "vetting_lapsed": ("count", _lapsed),
}


@dataclass(frozen=True)
class Page:
    """Where a notification leads: a GET endpoint and the URL arguments it needs."""

    endpoint: str
    args: Mapping[str, int | str] = field(default_factory=dict)


def notify(users: Iterable[User | None], kind: str, page: Page | None = None, **params: object) -> None:
    """Queue a notification for each user in good standing (deduplicated), in the caller's transaction."""
    if kind not in MESSAGES and kind not in COUNTED_MESSAGES:
        raise KeyError(kind)
    if page is not None and page.endpoint not in current_app.view_functions:
        raise KeyError(page.endpoint)  # a typo here would only show as a dead link much later
    seen = set()
    for user in users:
        # Pending, revoked and switched-off accounts are told nothing, whoever lists them.
        if user is None or user.id in seen or not policy.in_good_standing(user):
            continue
        seen.add(user.id)
        db.session.add(
            Notification(
                user_id=user.id,
                kind=kind,
                params={k: str(v) for k, v in params.items()},
                endpoint=page.endpoint if page else "",
                args=dict(page.args) if page else {},
            )
        )


@transaction
def mark_read(user: User, notification: Notification) -> None:
    """The person has opened one of their notifications."""
    if not policy.is_recipient(user, notification):
        raise NotAllowed(_l("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = utcnow()


@transaction
def mark_all_read(user: User) -> None:
    """Every unread notification of the person, read now (one UPDATE: notifications are not indexed)."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


def partner_staff(partner_id: int) -> Sequence[User]:
    """The accounts told of a partner's applications and requests."""
    return db.session.scalars(select(User).where(policy.staff_of(partner_id))).all()


def specialists() -> Sequence[User]:
    """The accounts told of requests nobody answered."""
    return db.session.scalars(select(User).where(policy.specialist_accounts())).all()


def titles_of(opportunity: Opportunity) -> dict[str, str]:
    """A listing's title in both languages, as a notification's ``title`` parameters."""
    return {"title": opportunity.title, "title_es": opportunity.title_es}


def text(notification: Notification, locale: str | None = None) -> str:
    """The notification as a sentence in ``locale`` (default: the recipient's language)."""
    with force_locale(locale or notification.user.preferred_language):
        shown = _shown_params(notification.params)
        if notification.kind in COUNTED_MESSAGES:
            name, render = COUNTED_MESSAGES[notification.kind]
            raw = str(notification.params.get(name, ""))
            return render(shown, int(raw) if raw.isdigit() else 0)
        return str(MESSAGES[notification.kind]) % shown


def _shown_params(params: Mapping[str, str]) -> dict[str, str]:
    """Stored parameters as the reader's locale writes them: a date kept as "2027-01-12" reads
    "12 de enero de 2027" in Spanish, a count "1.250". Call inside the reader's ``force_locale``."""
    shown = dict(params)
    spanish = str(get_locale()) == "es"
    for name, value in params.items():
        if spanish and params.get(name + "_es"):
            # A name kept in both languages (a listing's title, a seat pool's): the reader's one.
            shown[name] = params[name + "_es"]
        elif name == "date":
            # A free-text date from an older row stays as it was written.
            with suppress(TypeError, ValueError):
                shown[name] = format_date(date.fromisoformat(value), "long")
        elif name in ("count", "days", "grade") and str(value).isdigit():
            shown[name] = format_decimal(int(value))
    return shown


def url_of(notification: Notification, external: bool = False) -> str:
    """The URL a notification leads to, or "" when it leads nowhere (needs a request context).

    Rows written before endpoints were stored kept a path in ``link``: only a path inside the
    site is followed.
    """
    if notification.endpoint:
        try:
            return url_for(notification.endpoint, _external=external, **notification.args)
        except BuildError:  # the route has gone or changed its arguments since it was written
            current_app.logger.warning("Notification %d leads to a route that is gone", notification.id)
            return ""
    link = notification.link or ""
    if not link.startswith("/") or link.startswith("//"):
        return ""
    return request.url_root.rstrip("/") + link if external else link
