"""Compose a newsletter: propose fresh, verified, still-open listings for an audience and scope,
let the specialist reorder, remove and annotate them, render HTML and plain text.

Sending is done by a command or a queued job (see ``send``), never inside a request.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from cpspartners.extensions import db
from cpspartners.models import Newsletter, NewsletterItem, Opportunity, School, User, opportunity_school
from cpspartners.models.queries import public_opportunities
from cpspartners.services._base import transaction
from cpspartners.services.errors import RuleBroken

AUDIENCE_TO_LISTING = {"students": ("students",), "teachers": ("classrooms",), "families": ("families", "students")}
FRESH_DAYS = 120  # verified within this many days counts as "verified"


class NewsletterError(RuleBroken):
    """A rule of composing was broken; the message says which."""


def scope_filter(stmt: Select[tuple[Opportunity]], scope: str, value: str | int) -> Select[tuple[Opportunity]]:
    """Narrow listings to a school, a network or a community area (citywide ones always stay)."""
    if scope == "citywide":
        return stmt
    if scope == "school":
        schools = select(School.id).where(School.id == int(value))
    elif scope == "network":
        schools = select(School.id).where(School.network == value)
    elif scope == "area":
        schools = select(School.id).where(School.community_area_number == int(value))
    else:
        raise NewsletterError(_l("Unknown scope."))
    at_schools = select(opportunity_school.c.opportunity_id).where(opportunity_school.c.school_id.in_(schools))
    citywide = ~Opportunity.schools.any()
    local = Opportunity.id.in_(at_schools)
    if scope == "area":
        local = or_(local, Opportunity.community_area_number == int(value))
    return stmt.where(or_(local, citywide))


def propose(
    audience: str, scope: str = "citywide", scope_value: str | int = "", today: date | None = None, limit: int = 12
) -> Sequence[Opportunity]:
    """Fresh, verified, still-open listings for the audience, soonest deadline first."""
    today = today or date.today()
    verified_since = datetime.combine(today - timedelta(days=FRESH_DAYS), time.min, UTC)
    stmt = public_opportunities().where(
        Opportunity.audience.in_(AUDIENCE_TO_LISTING[audience]),
        Opportunity.deadline >= today,
        Opportunity.last_verified_at >= verified_since,
    )
    stmt = scope_filter(stmt, scope, scope_value)
    return db.session.scalars(stmt.order_by(Opportunity.deadline, Opportunity.id).limit(limit)).all()


@transaction
def create_draft(
    subject: str,
    audience: str,
    scope: str,
    scope_value: str | int,
    language: str,
    created_by: User | None = None,
    today: date | None = None,
) -> Newsletter:
    """A draft newsletter holding the proposed listings, in one transaction."""
    if audience not in AUDIENCE_TO_LISTING:
        raise NewsletterError(_l("Choose students, teachers or families."))
    proposed = propose(audience, scope, scope_value, today)
    newsletter = Newsletter(
        subject=subject.strip(),
        audience=audience,
        scope=scope,
        scope_value=str(scope_value or ""),
        language=language,
        created_by=created_by,
    )
    newsletter.items = [NewsletterItem(opportunity=opp, position=n) for n, opp in enumerate(proposed)]
    db.session.add(newsletter)
    return newsletter


def _editable(newsletter: Newsletter) -> None:
    if newsletter.status != "draft":
        raise NewsletterError(_l("This newsletter has been sent and can no longer change."))


@transaction
def move(newsletter: Newsletter, opportunity_id: int, offset: int) -> None:
    """Move one listing up (-1) or down (+1)."""
    _editable(newsletter)
    items = list(newsletter.items)
    index = next((n for n, item in enumerate(items) if item.opportunity_id == opportunity_id), None)
    if index is None:
        raise NewsletterError(_l("That listing is not in this newsletter."))
    target = max(0, min(len(items) - 1, index + offset))
    items.insert(target, items.pop(index))
    for position, item in enumerate(items):
        item.position = position


@transaction
def remove(newsletter: Newsletter, opportunity_id: int) -> None:
    _editable(newsletter)
    item = next((i for i in newsletter.items if i.opportunity_id == opportunity_id), None)
    if item is None:
        raise NewsletterError(_l("That listing is not in this newsletter."))
    newsletter.items.remove(item)
    for position, remaining in enumerate(newsletter.items):
        remaining.position = position


@transaction
def add(newsletter: Newsletter, opportunity_id: int) -> None:
    _editable(newsletter)
    if any(i.opportunity_id == opportunity_id for i in newsletter.items):
        return
    opp = db.session.scalars(public_opportunities().where(Opportunity.id == opportunity_id)).first()
    if opp is None:
        raise NewsletterError(_l("Only published listings can go in a newsletter."))
    newsletter.items.append(NewsletterItem(opportunity=opp, position=len(newsletter.items)))


@transaction
def set_note(newsletter: Newsletter, subject: str, note: str) -> None:
    _editable(newsletter)
    newsletter.subject = subject.strip()
    newsletter.note = note.strip()


def render(newsletter: Newsletter, base_url: str, unsubscribe_url: str = "") -> tuple[str, str]:
    """(html, text) of the newsletter in its own language, with absolute links."""
    from flask import current_app, render_template
    from flask_babel import force_locale

    # A request context of its own, so links are absolute and this works from a command or a job.
    with current_app.test_request_context(base_url=base_url), force_locale(newsletter.language):
        context = {
            "newsletter": newsletter,
            "items": [i.opportunity for i in newsletter.items],
            "lang": newsletter.language,
            "unsubscribe_url": unsubscribe_url,
        }
        return (render_template("email/newsletter.html", **context), render_template("email/newsletter.txt", **context))
