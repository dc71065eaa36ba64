"""Calendar entries for a school: deadlines and start dates of what is offered at or near it."""

from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from cpspartners.extensions import db
from cpspartners.formats.ical import Entry, feed
from cpspartners.models import Partner, VisitRequest, queries
from cpspartners.services.errors import RuleBroken


def _at_or_near(school):
    """Opportunities offered at the school, then those nearby (each once)."""
    offered = queries.opportunities_at_school(school.id, limit=500)
    nearby = queries.opportunities_near(
        school.latitude, school.longitude, limit=500, exclude_ids={o.id for o in offered}, school_id=school.id
    )
    return offered + [opp for opp, _miles in nearby]


def _deadline(opp, title, url, locale):
    return Entry(
        "deadline-%d@cpspartners" % opp.id,
        _("Deadline: %(title)s", title=title),
        opp.deadline,
        description=opp.localized("summary", locale),
        url=url,
    )


def _first_days(opp, title, url, locale):
    return Entry(
        "event-%d@cpspartners" % opp.id,
        title,
        opp.starts_on,
        opp.ends_on,
        description=opp.localized("summary", locale),
        url=url,
        location=opp.location_name or opp.address,
    )


def school_entries(school, url_for_opportunity, locale, today=None, horizon_days=365):
    """Upcoming deadlines and first days of opportunities at the school or within 2 miles."""
    today = today or date.today()
    last = today + timedelta(days=horizon_days)
    entries = []
    for opp in _at_or_near(school):
        title = opp.localized("title", locale)
        url = url_for_opportunity(opp)
        if opp.deadline and today <= opp.deadline <= last:
            entries.append(_deadline(opp, title, url, locale))
        if opp.starts_on and today <= opp.starts_on <= last:
            entries.append(_first_days(opp, title, url, locale))
    return sorted(entries, key=lambda entry: (entry.starts, entry.uid))


def visit_calendar(req: VisitRequest, url: str) -> bytes:
    """An .ics file for an accepted visit."""
    if req.state not in ("accepted", "completed") or req.visit_date is None:
        raise RuleBroken(_l("Only accepted visits have a calendar entry."))
    partner = db.session.get(Partner, req.partner_id)
    entry = Entry(
        "visit-%d@cpspartners" % req.id,
        "%s \u2014 %s" % (req.topic, partner.name),
        req.visit_date,
        description=req.message,
        url=url,
        location=req.school.long_name if req.modality == "in_person" else "",
        start_time=req.starts_at,
        end_time=req.ends_at,
    )
    return feed(req.topic, [entry])
