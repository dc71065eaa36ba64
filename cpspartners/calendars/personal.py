"""A person's own calendar: the deadlines and first days of what they saved or applied to, and
their accepted visits. The feed URL carries a signed token (itsdangerous, the app's secret) that
includes a per-person nonce, so making a new link revokes the old one.
"""

import secrets
from collections.abc import Callable
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select

from cpspartners.extensions import db
from cpspartners.formats.ical import Entry
from cpspartners.models import Application, Opportunity, User, VisitRequest

SALT = "cpspartners.personal-calendar"
LIVE_APPLICATIONS = ("submitted", "accepted", "waitlisted", "completed")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def ensure_nonce(user: User) -> str:
    """Give the person a nonce the first time a link is needed (caller commits)."""
    if not user.calendar_nonce:
        user.calendar_nonce = secrets.token_hex(16)
    return user.calendar_nonce


def token_for(user: User) -> str:
    """The signed token of the person's feed URL, valid until ``revoke``."""
    return _serializer().dumps({"id": user.id, "n": user.calendar_nonce})


def user_from_token(token: str) -> User | None:
    """The person the token was made for, or None if it is forged, malformed or revoked."""
    try:
        data = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not data.get("n"):
        return None
    user = db.session.get(User, data["id"])
    if user is None or not user.is_active or user.calendar_nonce != data["n"]:
        return None
    return user


def revoke(user: User) -> None:
    """A new nonce: every link made before stops working."""
    user.calendar_nonce = secrets.token_hex(16)
    db.session.commit()


def _my_deadline(opp: Opportunity, title: str, url: str) -> Entry:
    return Entry("me-deadline-%d@cpspartners" % opp.id, _("Deadline: %(title)s", title=title), opp.deadline, url=url)


def _my_first_days(opp: Opportunity, title: str, url: str, locale: str) -> Entry:
    return Entry(
        "me-event-%d@cpspartners" % opp.id,
        title,
        opp.starts_on,
        opp.ends_on,
        description=opp.localized("summary", locale),
        url=url,
        location=opp.location_name or opp.address,
    )


def _application_entries(
    application: Application, url_for_opportunity: Callable[[Opportunity], str], locale: str, first: date, last: date
) -> list[Entry]:
    """The deadline of what the person only showed interest in, and the first days of what
    they applied to and have not completed."""
    opp = application.opportunity
    title = opp.localized("title", locale)
    found = []
    if opp.deadline and first <= opp.deadline <= last and application.kind == "interest":
        found.append(_my_deadline(opp, title, url_for_opportunity(opp)))
    if opp.starts_on and first <= opp.starts_on <= last and application.state != "completed":
        found.append(_my_first_days(opp, title, url_for_opportunity(opp), locale))
    return found


def _visit_entries(user: User, first: date, last: date) -> list[Entry]:
    """Accepted visits the person takes part in: as the teacher, or as the partner's staff."""
    sides = [VisitRequest.teacher_id == user.id]
    if user.role == "partner_staff" and user.partner_id:
        sides.append(VisitRequest.partner_id == user.partner_id)
    visits = db.session.scalars(
        select(VisitRequest).where(
            or_(*sides), VisitRequest.state == "accepted", VisitRequest.visit_date.between(first, last)
        )
    ).all()
    return [
        Entry(
            "me-visit-%d@cpspartners" % visit.id,
            _("Visit: %(topic)s (%(partner)s)", topic=visit.topic, partner=visit.partner.name),
            visit.visit_date,
            location=visit.school.long_name,
        )
        for visit in visits
    ]


def entries(
    user: User,
    url_for_opportunity: Callable[[Opportunity], str],
    locale: str,
    today: date | None = None,
    horizon_days: int = 365,
) -> list[Entry]:
    """Everything on the person's calendar from 30 days ago to ``horizon_days`` ahead, by date."""
    today = today or date.today()
    first, last = today - timedelta(days=30), today + timedelta(days=horizon_days)
    applications = db.session.scalars(
        select(Application).where(Application.student_id == user.id, Application.state.in_(LIVE_APPLICATIONS))
    ).all()
    found = [
        entry
        for application in applications
        for entry in _application_entries(application, url_for_opportunity, locale, first, last)
    ]
    found += _visit_entries(user, first, last)
    return sorted(found, key=lambda entry: (entry.starts, entry.uid))
