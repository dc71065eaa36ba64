"""Who receives a newsletter, the families' double opt-in list, unsubscribe links, and sending.

Students and teachers receive it through their approved accounts (matching role, scope and
language, unless they unsubscribed). Families are not account holders: they subscribe with an
adult's email, confirm by an emailed link, and can leave with the link in every newsletter.
Sending runs in ``flask newsletters send`` or an RQ job, over one SMTP connection per batch, and
records (commits) each recipient as the server answers for them, so an interrupted send resumes
with the rest and sends nobody a second copy except, at worst, the one message in flight.
"""

import smtplib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, Serializer, URLSafeSerializer, URLSafeTimedSerializer
from sqlalchemy import ColumnElement, delete, or_, select, update

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.mail import build_message, send_batch, send_email
from cpspartners.models import (
    Newsletter,
    NewsletterDelivery,
    NewsletterSubscriber,
    Partner,
    School,
    User,
    partner_area,
)
from cpspartners.services import newsletters
from cpspartners.services._base import transaction
from cpspartners.services.newsletters import NewsletterError

CONFIRM_SALT = "cpspartners.newsletter-confirm"
UNSUBSCRIBE_SALT = "cpspartners.newsletter-unsubscribe"
ROLE_FOR_AUDIENCE = {"students": "student", "teachers": "teacher", "schools": "teacher"}
BATCH = 200  # messages per SMTP connection
# How long a sending run holds a newsletter without the server answering for one message: the
# claim moves on with every message, so this only needs to outlast one slow message (a few
# MAIL_TIMEOUT steps). A run killed mid-send (an RQ worker, bench/faults.py) is carried on by the
# next `flask newsletters send-pending` once it runs out, minutes later, not an hour.
CLAIM_FOR = timedelta(minutes=5)
MARKER = "UNSUBSCRIBE-LINK-MARKER"  # replaced by each recipient's own link


def _now() -> datetime:
    return datetime.now(UTC)


def _school_filter(column: Any, scope: str, value: str) -> ColumnElement[bool] | None:
    """A condition on a school id column for the newsletter's scope (None = citywide)."""
    if scope == "school":
        return column == int(value)
    if scope == "network":
        return column.in_(select(School.id).where(School.network == value))
    if scope == "area":
        return column.in_(select(School.id).where(School.community_area_number == int(value)))
    return None


def _partner_area_filter(scope: str, value: str) -> ColumnElement[bool] | None:
    """Partners' staff for an area's newsletter: their partner works there or is based there."""
    if scope != "area":
        return None
    area = int(value)
    works_there = select(partner_area.c.partner_id).where(partner_area.c.community_area_number == area)
    based_there = select(Partner.id).where(Partner.community_area_number == area)
    return or_(User.partner_id.in_(works_there), User.partner_id.in_(based_there))


def recipients(newsletter: Newsletter) -> list[tuple[str, dict[str, int]]]:
    """[(email, unsubscribe token payload)] for this newsletter's audience, scope and language."""
    if newsletter.audience == "partners":
        stmt = select(User.id, User.email).where(
            policy.partner_staff_in_good_standing(),
            User.newsletter_opt_out.is_(False),
            User.preferred_language == newsletter.language,
        )
        condition, kind = _partner_area_filter(newsletter.scope, newsletter.scope_value), "u"
    elif newsletter.audience in ROLE_FOR_AUDIENCE:
        stmt = select(User.id, User.email).where(
            policy.approved_accounts(ROLE_FOR_AUDIENCE[newsletter.audience]),
            User.newsletter_opt_out.is_(False),
            User.preferred_language == newsletter.language,
        )
        condition, kind = _school_filter(User.school_id, newsletter.scope, newsletter.scope_value), "u"
    else:
        stmt = select(NewsletterSubscriber.id, NewsletterSubscriber.email).where(
            NewsletterSubscriber.confirmed_at.is_not(None),
            NewsletterSubscriber.unsubscribed_at.is_(None),
            NewsletterSubscriber.language == newsletter.language,
        )
        condition, kind = _school_filter(NewsletterSubscriber.school_id, newsletter.scope, newsletter.scope_value), "s"
    if condition is not None:
        stmt = stmt.where(condition)
    return [(email, {kind: ident}) for ident, email in db.session.execute(stmt.order_by("id"))]


def unsubscribe_token(payload: Mapping[str, int]) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps(payload)


def _payload(serializer: Serializer[str], token: str, **options: Any) -> dict[str, Any]:
    """What a signed link carries, or {} when it is forged, malformed or too old."""
    try:
        data = serializer.loads(token, **options)
    except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return {}
    return data if isinstance(data, dict) else {}


@transaction
def unsubscribe(token: str) -> bool:
    """Apply an unsubscribe link. True if the token was good (also when already unsubscribed)."""
    data = _payload(URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT), token)
    if isinstance(data.get("u"), int):
        user = db.session.get(User, data["u"])
        if user is not None:
            user.newsletter_opt_out = True
        return user is not None
    if isinstance(data.get("s"), int):
        subscriber = db.session.get(NewsletterSubscriber, data["s"])
        if subscriber is not None:
            subscriber.unsubscribed_at = subscriber.unsubscribed_at or _now()
        return subscriber is not None
    return False


def subscribe(email: str, language: str, school_id: int | None = None) -> NewsletterSubscriber:
    """Add (or refresh) a family address; a job emails it a confirmation link (once it is saved).

    The answer is the same whether or not the address was already there, so the form does not
    tell anyone who subscribes: the mail leaves the request (``jobs.later``), and whether a link
    is due (not yet confirmed) is decided in the job.
    """
    from cpspartners import jobs

    subscriber = _save_subscriber(email.strip().lower(), language, school_id)
    jobs.later(jobs.send_subscription_confirmation, subscriber.id, url_for("directory.home", _external=True))
    return subscriber


def send_confirmation(subscriber_id: int) -> EmailMessage | None:
    """Mail a family address the link that confirms its subscription, unless it is confirmed."""
    subscriber = db.session.get(NewsletterSubscriber, subscriber_id)
    if subscriber is None or subscriber.confirmed_at is not None:
        return None
    token = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT).dumps(
        {"s": subscriber.id, "e": subscriber.email}
    )
    link = url_for("newsletters.subscribe_confirm", token=token, _external=True)
    return send_email(subscriber.email, "newsletter_confirm", subscriber.language, link=link)


@transaction
def _save_subscriber(email: str, language: str, school_id: int | None) -> NewsletterSubscriber:
    subscriber = db.session.scalars(select(NewsletterSubscriber).where(NewsletterSubscriber.email == email)).first()
    if subscriber is None:
        subscriber = NewsletterSubscriber(email=email)
        db.session.add(subscriber)
    subscriber.language = language
    subscriber.school_id = school_id or None
    if subscriber.unsubscribed_at is not None:  # coming back: confirm again
        subscriber.unsubscribed_at = None
        subscriber.confirmed_at = None
    return subscriber


@transaction
def confirm(token: str) -> NewsletterSubscriber | None:
    """The subscriber a confirmation link is for, now confirmed; None for a bad or old link."""
    serializer = URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=CONFIRM_SALT)
    data = _payload(serializer, token, max_age=current_app.config["CONFIRM_LINK_MAX_AGE"])
    if not isinstance(data.get("s"), int):
        return None
    subscriber = db.session.get(NewsletterSubscriber, data["s"])
    if subscriber is None or subscriber.email != data.get("e") or subscriber.unsubscribed_at is not None:
        return None
    subscriber.confirmed_at = subscriber.confirmed_at or _now()
    return subscriber


def queue(newsletter: Newsletter) -> str:
    """Mark a draft for sending. Returns "queued" (an RQ job) or "pending" (for the cron command)."""
    _mark_sending(newsletter)
    redis_url = current_app.config.get("RQ_REDIS_URL")
    if not redis_url:
        return "pending"
    from redis import Redis
    from rq import Queue

    Queue("cpspartners", connection=Redis.from_url(redis_url)).enqueue(
        "cpspartners.jobs.send_newsletter", newsletter.id, job_timeout=3600
    )
    return "queued"


@transaction
def _mark_sending(newsletter: Newsletter) -> None:
    if newsletter.status != "draft":
        raise NewsletterError(_l("This newsletter has already been sent or is being sent."))
    if not newsletter.items and not newsletter.stories:
        raise NewsletterError(_l("Add at least one listing or story before sending."))
    newsletter.status = "sending"
    newsletter.recipient_total = len(recipients(newsletter))


def recipient_key(payload: Mapping[str, int]) -> str:
    """ "u:<user id>" or "s:<subscriber id>": who a delivery is for, from the unsubscribe payload."""
    ((kind, ident),) = payload.items()
    return "%s:%d" % (kind, ident)


@transaction
def claim(newsletter: Newsletter, now: datetime | None = None) -> bool:
    """Take the newsletter for one sending run; False once it is sent or while another run holds it.

    The cron command and an RQ job, or two cron runs when a big newsletter outlasts the interval,
    would otherwise send to the same remaining recipients at once. One conditional UPDATE decides
    (no row lock survives the per-batch commits); a run that dies keeps the claim until CLAIM_FOR
    runs out, then the next run carries on.
    """
    now = now or _now()
    taken = db.session.execute(
        update(Newsletter)
        .where(
            Newsletter.id == newsletter.id,
            Newsletter.status != "sent",
            or_(Newsletter.claimed_until.is_(None), Newsletter.claimed_until < now),
        )
        .values(claimed_until=now + CLAIM_FOR)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]  # a CursorResult: scoped_session's stub says Result
    return taken == 1


def send(newsletter: Newsletter, base_url: str | None = None) -> int:
    """Send a newsletter marked "sending" (or a draft, from the command) to everyone not yet sent it.

    Each batch goes over one SMTP connection; every recipient the server answered for is recorded
    and committed at once, so a crash re-sends at most the one message in flight. A lost
    connection ends the run with the newsletter still "sending" and the rest for the next run.
    Returns how many recipients have it so far, across runs.
    """
    _claim_or_refuse(newsletter)
    people = _still_to_send(newsletter)
    base_url = base_url or current_app.config["SITE_URL"]
    html, text = newsletters.render(newsletter, base_url, unsubscribe_url=MARKER)
    with current_app.test_request_context(base_url=base_url):
        batches = (people[start : start + BATCH] for start in range(0, len(people), BATCH))
        complete = all(_send_batch(newsletter, batch, html, text) for batch in batches)  # stops at a lost server
    _finish(newsletter, complete)
    return newsletter.recipient_count


def _claim_or_refuse(newsletter: Newsletter) -> None:
    if not claim(newsletter):  # the commit reloads the status, which another run may have changed
        raise NewsletterError(
            _l("This newsletter was already sent.")
            if newsletter.status == "sent"
            else _l("This newsletter is being sent by another run.")
        )


@transaction
def _still_to_send(newsletter: Newsletter) -> list[tuple[str, dict[str, int]]]:
    """The recipients no earlier run has sent it to; the total counts both."""
    newsletter.status = "sending"
    done = set(
        db.session.scalars(
            select(NewsletterDelivery.recipient).where(NewsletterDelivery.newsletter_id == newsletter.id)
        )
    )
    people = [(email, payload) for email, payload in recipients(newsletter) if recipient_key(payload) not in done]
    newsletter.recipient_total = len(done) + len(people)
    return people


def _send_batch(newsletter: Newsletter, people: Sequence[tuple[str, Mapping[str, int]]], html: str, text: str) -> bool:
    """Send to ``people`` over one connection, committing each answer as it comes.

    A batch used to commit its marks together: a worker killed mid-batch left up to 199 people
    who had it unmarked, and the next run sent them a second copy (bench/faults.py: 103 of 800).
    One small commit per message costs far less than the message. False when the mail server was
    lost half-way: what it took before is marked, so the next run sends to the rest only.
    """
    keys = {_message(newsletter, email, payload, html, text): recipient_key(payload) for email, payload in people}

    def record(message: EmailMessage, accepted: bool) -> None:
        _record(newsletter, keys[message], accepted)

    try:
        send_batch(list(keys), record)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception(
            "Newsletter %d: lost the mail server after %d of %d recipients; the next run sends to the rest.",
            newsletter.id,
            newsletter.recipient_count,
            newsletter.recipient_total,
        )
        return False
    return True


@transaction
def _record(newsletter: Newsletter, recipient: str, accepted: bool) -> None:
    """One recipient the server answered for, and the claim moved on (committed now)."""
    db.session.add(NewsletterDelivery(newsletter_id=newsletter.id, recipient=recipient, refused=not accepted))
    newsletter.recipient_count += accepted
    newsletter.claimed_until = _now() + CLAIM_FOR


def _message(newsletter: Newsletter, email: str, payload: Mapping[str, int], html: str, text: str) -> EmailMessage:
    """The newsletter as sent to one person, with their own unsubscribe link."""
    link = url_for("newsletters.unsubscribe", token=unsubscribe_token(payload), _external=True)
    headers = {"List-Unsubscribe": "<%s>" % link}
    return build_message(
        email, newsletter.subject, text.replace(MARKER, link), html.replace(MARKER, link), newsletter.language, headers
    )


@transaction
def _finish(newsletter: Newsletter, complete: bool) -> None:
    """Let go of the claim; mark the newsletter sent once everyone has it."""
    if complete:
        newsletter.status = "sent"
        newsletter.sent_at = _now()
    newsletter.claimed_until = None


def send_pending(base_url: str | None = None) -> list[tuple[Newsletter, int]]:
    """Send, or carry on sending, every newsletter marked "sending" (from cron, also beside a job queue)."""
    done = []
    for newsletter in db.session.scalars(
        select(Newsletter).where(Newsletter.status == "sending").order_by(Newsletter.id)
    ).all():
        try:
            done.append((newsletter, send(newsletter, base_url)))
        except NewsletterError as error:  # another run is sending it, or has just finished
            current_app.logger.info("Newsletter %d skipped: %s", newsletter.id, error)
    return done


@transaction
def prune_deliveries(now: datetime | None = None) -> int:
    """Delete the delivery records of newsletters sent more than NEWSLETTER_DELIVERY_KEEP_DAYS ago.

    They exist so an interrupted send resumes without second copies; once a newsletter is sent
    its count stays on the newsletter. Returns how many records went.
    """
    cutoff = (now or _now()) - timedelta(days=current_app.config["NEWSLETTER_DELIVERY_KEEP_DAYS"])
    old = select(Newsletter.id).where(Newsletter.status == "sent", Newsletter.sent_at < cutoff)
    gone = db.session.execute(delete(NewsletterDelivery).where(NewsletterDelivery.newsletter_id.in_(old))).rowcount  # type: ignore[attr-defined]
    return gone
