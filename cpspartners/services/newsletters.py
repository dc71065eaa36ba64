"""Compose a newsletter: propose fresh, verified, still-open listings for an audience and scope,
let the specialist reorder, remove and annotate them, render HTML and plain text.

Sending is done by a command or a queued job (see ``send``), never inside a request.
"""

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select

from cpspartners.extensions import db
from cpspartners.formats import images
from cpspartners.models import (
    Newsletter,
    NewsletterItem,
    NewsletterStory,
    Opportunity,
    School,
    User,
    opportunity_school,
)
from cpspartners.models.queries import public_opportunities
from cpspartners.services._base import transaction
from cpspartners.services.errors import RuleBroken

AUDIENCE_TO_LISTING = {
    "students": ("students",),
    "teachers": ("classrooms",),
    "families": ("families", "students"),
    # Partners hear of every kind of listing; a school's teachers of what their classes and students can join.
    "partners": ("students", "classrooms", "families"),
    "schools": ("classrooms", "students"),
}
# The scopes each audience can have: partners by where they work, schools never citywide.
AUDIENCE_SCOPES = {"partners": ("citywide", "area"), "schools": ("school", "network", "area")}
STORY_TITLE_MAX, STORY_BODY_MAX, STORY_CONSENT_MAX = 200, 1500, 120
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
        raise NewsletterError(_l("Choose students, teachers, families, partners or schools."))
    if scope not in AUDIENCE_SCOPES.get(audience, (scope,)):
        raise NewsletterError(scope_refusal(audience))
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


def scope_refusal(audience: str) -> str:
    """Why a scope does not fit ``audience`` (see ``AUDIENCE_SCOPES``), in words."""
    if audience == "partners":
        return str(_l("A newsletter for partners goes citywide or to one community area."))
    return str(_l("A newsletter for schools goes to one school, network or community area."))


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
            "stories": list(newsletter.stories),
            "lang": newsletter.language,
            "unsubscribe_url": unsubscribe_url,
        }
        return (render_template("email/newsletter.html", **context), render_template("email/newsletter.txt", **context))


# --- Stories beside the listings ------------------------------------------------------------------


@dataclass(frozen=True)
class StoryDraft:
    """What the specialist wrote: a short text, an optional image (its bytes and alt text) and,
    when a student is named, who consented; ``consent_confirmed`` is the recorded checkbox."""

    title: str
    body: str
    image: bytes = b""
    image_alt: str = ""
    names_student: bool = False
    consent_by: str = ""
    consent_confirmed: bool = False


IMAGE_REFUSALS = {
    "too_big": _l("The image is too large: keep it under 1 MB."),
    "type": _l("The image must be a PNG or JPEG file."),
    "dimensions": _l("The image is too large: keep each side under 6,000 pixels."),
    "broken": _l("The image file is damaged or incomplete."),
    "empty": _l("The image file is empty."),
}


def _check_story(draft: StoryDraft) -> None:
    if not draft.title.strip() or not draft.body.strip():
        raise NewsletterError(_l("A story needs a title and a text."))
    if len(draft.title) > STORY_TITLE_MAX or len(draft.body) > STORY_BODY_MAX:
        raise NewsletterError(_l("Keep the story short: a title under 200 characters and a text under 1,500."))
    if draft.image and not draft.image_alt.strip():
        raise NewsletterError(_l("Describe the image for readers who cannot see it."))
    if draft.names_student and not (draft.consent_confirmed and draft.consent_by.strip()):
        raise NewsletterError(
            _l("A story that names a student needs the consent recorded: who consented, and the checkbox.")
        )
    if len(draft.consent_by) > STORY_CONSENT_MAX:
        raise NewsletterError(_l("Keep the name of who consented under 120 characters."))


def image_dir() -> str:
    from flask import current_app

    return current_app.config.get("STORY_IMAGE_DIR") or os.path.join(current_app.instance_path, "story-images")


def _store_image(data: bytes) -> str:
    """Clean and save an image under a random name; returns the name. Refusals raise."""
    from flask import current_app

    try:
        extension, cleaned = images.clean(data, current_app.config["STORY_IMAGE_MAX_BYTES"])
    except images.BadImage as error:
        raise NewsletterError(IMAGE_REFUSALS[str(error)]) from error
    name = "%s.%s" % (secrets.token_hex(16), extension)
    os.makedirs(image_dir(), exist_ok=True)
    with open(os.path.join(image_dir(), name), "wb") as handle:
        handle.write(cleaned)
    return name


@transaction
def add_story(newsletter: Newsletter, author: User | None, draft: StoryDraft) -> NewsletterStory:
    """A story at the end of the newsletter. The consent, when a student is named, is recorded
    with who recorded it and when; the database refuses a named student without it."""
    _editable(newsletter)
    _check_story(draft)
    name = _store_image(draft.image) if draft.image else ""
    story = NewsletterStory(
        title=draft.title.strip(),
        body=draft.body.strip(),
        image_name=name,
        image_alt=draft.image_alt.strip() if name else "",
        names_student=draft.names_student,
        consent_by=draft.consent_by.strip() if draft.names_student else "",
        consent_recorded_at=datetime.now(UTC) if draft.names_student else None,
        consent_recorded_by_id=author.id if author is not None and draft.names_student else None,
        position=len(newsletter.stories),
    )
    newsletter.stories.append(story)
    return story


@transaction
def remove_story(newsletter: Newsletter, story_id: int) -> None:
    _editable(newsletter)
    story = next((s for s in newsletter.stories if s.id == story_id), None)
    if story is None:
        raise NewsletterError(_l("That story is not in this newsletter."))
    newsletter.stories.remove(story)
    for position, remaining in enumerate(newsletter.stories):
        remaining.position = position
