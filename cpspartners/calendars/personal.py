"""A person's own calendar: the deadlines and first days of what they saved or applied to, and
their accepted visits. The feed URL carries a signed token (itsdangerous, the app's secret) that
includes a per-person nonce, so making a new link (``services.accounts.new_calendar_link``)
revokes the old one. Until the first new link the nonce is empty: the link is derived from the
account alone, so showing it never writes, and only the secret can sign one.
"""

from collections.abc import Callable, Sequence
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import or_, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formats.ical import Entry
from cpspartners.models import Application, Opportunity, User, VisitRequest

SALT = "cpspartners.personal-calendar"
LIVE_APPLICATIONS = ("submitted", "accepted", "waitlisted", "completed")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user: User) -> str:
    """The signed part of the person's feed URL (changes only when they ask for a new link)."""
    return _serializer().dumps({"id": user.id, "n": user.calendar_nonce or ""})


def user_from_token(token: str) -> User | None:
    """The person the token was made for, or None if it is forged, malformed or revoked."""
    try:
        data = _serializer().loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("id"), int) or not isinstance(data.get("n"), str):
        return None
    user = db.session.get(User, data["id"])
    if user is None or not user.is_active or (user.calendar_nonce or "") != data["n"]:
        return None
    return user


def entries(
    user: User,
    url_for_opportunity: Callable[[Opportunity], str],
    locale: str,
    today: date | None = None,
    horizon_days: int = 365,
) -> list[Entry]:
    """The person's deadlines, first days and accepted visits from a month ago to ``horizon_days`` on."""
    today = today or date.today()
    first, last = today - timedelta(days=30), today + timedelta(days=horizon_days)
    found = []
    applications = db.session.scalars(
        select(Application).where(Application.student_id == user.id, Application.state.in_(LIVE_APPLICATIONS))
    ).all()
    for application in applications:
        found += _application_entries(application, url_for_opportunity, locale, first, last)
    found += [_visit_entry(visit) for visit in _accepted_visits(user, first, last)]
    return sorted(found, key=lambda entry: (entry.starts, entry.uid))


def _application_entries(
    application: Application, url_for_opportunity: Callable[[Opportunity], str], locale: str, first: date, last: date
) -> list[Entry]:
    """The deadline of what the person is interested in, and the first day of what they applied to."""
    opp = application.opportunity
    title = opp.localized("title", locale)
    found = []
    if opp.deadline and first <= opp.deadline <= last and application.kind == "interest":
        uid = "me-deadline-%d@cpspartners" % opp.id
        found.append(Entry(uid, _("Deadline: %(title)s", title=title), opp.deadline, url=url_for_opportunity(opp)))
    if opp.starts_on and first <= opp.starts_on <= last and application.state != "completed":
        found.append(
            Entry(
                "me-event-%d@cpspartners" % opp.id,
                title,
                opp.starts_on,
                opp.ends_on,
                description=opp.localized("summary", locale),
                url=url_for_opportunity(opp),
                location=opp.location_name or opp.address,
            )
        )
    return found


def _accepted_visits(user: User, first: date, last: date) -> Sequence[VisitRequest]:
    """Accepted visits the person takes part in: as the teacher, or as staff of the partner
    (approved, active accounts only: a revoked one's feed shows no requests)."""
    sides = []
    if policy.is_teacher_account(user):
        sides.append(VisitRequest.teacher_id == user.id)
    if policy.is_partner_account(user):
        sides.append(VisitRequest.partner_id == user.partner_id)
    if not sides:
        return []
    return db.session.scalars(
        select(VisitRequest).where(
            or_(*sides), VisitRequest.state == "accepted", VisitRequest.visit_date.between(first, last)
        )
    ).all()


def _visit_entry(visit: VisitRequest) -> Entry:
    return Entry(
        "me-visit-%d@cpspartners" % visit.id,
        _("Visit: %(topic)s (%(partner)s)", topic=visit.topic, partner=visit.partner.name),
        visit.visit_date,
        location=visit.school.long_name,
        start_time=visit.starts_at,
        end_time=visit.ends_at,
    )
