"""Who receives a newsletter, the families' double opt-in list, unsubscribe links, and sending.

Students and teachers receive it through their approved accounts (matching role, scope and
language, unless they unsubscribed). Families are not account holders: they subscribe with an
adult's email, confirm by an emailed link, and can leave with the link in every newsletter.
Sending runs in ``flask newsletters send`` or an RQ job, over one SMTP connection per batch.
"""

from datetime import datetime, timezone

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import select

from ..extensions import db
from ..mail import build_message, send_batch, send_email
from ..models import Newsletter, NewsletterSubscriber, School, User
from . import newsletters
from .newsletters import NewsletterError

CONFIRM_SALT = "cpspartners.newsletter-confirm"
UNSUBSCRIBE_SALT = "cpspartners.newsletter-unsubscribe"
ROLE_FOR_AUDIENCE = {"students": "student", "teachers": "teacher"}
BATCH = 200


def _now():
    return datetime.now(timezone.utc)


def _school_filter(column, scope, value):
    """A condition on a school id column for the newsletter's scope (None = citywide)."""
    if scope == "school":
        return column == int(value)
    if scope == "network":
        return column.in_(select(School.id).where(School.network == value))
    if scope == "area":
        return column.in_(select(School.id).where(School.community_area_number == int(value)))
    return None


def recipients(newsletter):
    """[(email, unsubscribe token payload)] for this newsletter's audience, scope and language."""
    if newsletter.audience in ROLE_FOR_AUDIENCE:
        stmt = select(User.id, User.email).where(
            User.role == ROLE_FOR_AUDIENCE[newsletter.audience], User.is_approved.is_(True), User.active.is_(True),
            User.newsletter_opt_out.is_(False), User.preferred_language == newsletter.language)
        condition = _school_filter(User.school_id, newsletter.scope, newsletter.scope_value)
        kind = "u"
    else:
        stmt = select(NewsletterSubscriber.id, NewsletterSubscriber.email).where(
            NewsletterSubscriber.confirmed_at.is_not(None), NewsletterSubscriber.unsubscribed_at.is_(None),
            NewsletterSubscriber.language == newsletter.language)
        condition = _school_filter(NewsletterSubscriber.school_id, newsletter.scope, newsletter.scope_value)
        kind = "s"
    if condition is not None:
        stmt = stmt.where(condition)
    return [(email, {kind: ident}) for ident, email in db.session.execute(stmt.order_by("id"))]


def unsubscribe_token(payload):
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps(payload)


def unsubscribe(token):
    """Apply an unsubscribe link. True if the token was good (also when already unsubscribed)."""
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return False
    if not isinstance(data, dict):
        return False
    if isinstance(data.get("u"), int):
        user = db.session.get(User, data["u"])
        if user is None:
            return False
        user.newsletter_opt_out = True
    elif isinstance(data.get("s"), int):
        subscriber = db.session.get(NewsletterSubscriber, data["s"])
        if subscriber is None:
            return False
        subscriber.unsubscribed_at = subscriber.unsubscribed_at or _now()
    else:
        return False
    db.session.commit()
    return True


def subscribe(email, language, school_id=None):
    """Add (or refresh) a family address and email it a confirmation link.

    The answer is the same whether or not the address was already there, so the form does not
    tell anyone who subscribes.
    """
    email = email.strip().lower()
    subscriber = db.session.scalars(select(NewsletterSubscriber).where(NewsletterSubscriber.email == email)).first()
    if subscriber is None:
        subscriber = NewsletterSubscriber(email=email)
        db.session.add(subscriber)
    subscriber.language = language
    subscriber.school_id = school_id or None
    if subscriber.unsubscribed_at is not None:  # coming back: confirm again
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = None
    db.session.commit()
    if subscriber.confirmed_at is None:
        token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT).dumps(
            {"s": subscriber.id, "e": subscriber.email})
        send_email(subscriber.email, "newsletter_confirm", subscriber.language,
                   link=url_for("tools.subscribe_confirm", token=token, _external=True))
    return subscriber


def confirm(token):
    """The subscriber a confirmation link is for, now confirmed; None for a bad or old link."""
    try:
        data = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT).loads(
            token, max_age=current_app.config["CONFIRM_LINK_MAX_AGE"])
    except (SignatureExpired, BadSignature, ValueError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("s"), int):
        return None
    subscriber = db.session.get(NewsletterSubscriber, data["s"])
    if subscriber is None or subscriber.email != data.get("e") or subscriber.unsubscribed_at is not None:
        return None
    subscriber.confirmed_at = subscriber.confirmed_at or _now()
    db.session.commit()
    return subscriber


def queue(newsletter):
    """Mark a draft for sending. Returns "queued" (an RQ job) or "pending" (for the cron command)."""
    if newsletter.status != "draft":
        raise NewsletterError("This newsletter has already been sent or is being sent.")
    if not newsletter.items:
        raise NewsletterError("Add at least one listing before sending.")
    newsletter.status = "sending"
    db.session.commit()
    redis_url = current_app.config.get("RQ_REDIS_URL")
    if not redis_url:
        return "pending"
    from redis import Redis
    from rq import Queue

    Queue("cpspartners", connection=Redis.from_url(redis_url)).enqueue(
        "cpspartners.jobs.send_newsletter", newsletter.id, job_timeout=3600)
    return "queued"


def send(newsletter, base_url=None):
    """Send a newsletter marked "sending" (or a draft, from the command) to every recipient."""
    if newsletter.status == "sent":
        raise NewsletterError("This newsletter was already sent.")
    base_url = base_url or current_app.config["SITE_URL"]
    newsletter.status = "sending"
    db.session.commit()
    marker = "UNSUBSCRIBE-LINK-MARKER"
    html, text = newsletters.render(newsletter, base_url, unsubscribe_url=marker)
    people = recipients(newsletter)
    sent = 0
    with current_app.test_request_context(base_url=base_url):
        for start in range(0, len(people), BATCH):
            batch = []
            for email, payload in people[start:start + BATCH]:
                link = url_for("tools.unsubscribe", token=unsubscribe_token(payload), _external=True)
                batch.append(build_message(
                    email, newsletter.subject, text.replace(marker, link), html.replace(marker, link),
                    newsletter.language, {"List-Unsubscribe": "<%s>" % link}))
            sent += send_batch(batch)
    newsletter.status = "sent"
    newsletter.sent_at = _now()
    newsletter.recipient_count = sent
    db.session.commit()
    return sent


def send_pending(base_url=None):
    """Send every newsletter marked "sending" (the cron fallback when there is no job queue)."""
    done = []
    for newsletter in db.session.scalars(select(Newsletter).where(Newsletter.status == "sending")
                                         .order_by(Newsletter.id)).all():
        done.append((newsletter, send(newsletter, base_url)))
    return done
