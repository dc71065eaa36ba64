"""Email the notifications nobody has been emailed about yet, in each recipient's language.

Run by ``flask notifications send`` from cron, never inside a request: one message per person
per run (their unread notifications listed together), in batches that each commit, so a crash
half-way re-sends at most one batch's worth and never marks an unsent message as sent.
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.mail import send_email
from cpspartners.models import Notification, User
from cpspartners.services._base import transaction
from cpspartners.services.notify import text, url_of


def recipients_waiting(limit: int) -> Sequence[int]:
    """Ids of people with notifications not yet emailed (accounts in good standing only: one
    switched off or whose approval was withdrawn since is not emailed what was queued before)."""
    return db.session.scalars(
        select(Notification.user_id)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), policy.accounts_in_good_standing())
        .group_by(Notification.user_id)
        .order_by(Notification.user_id)
        .limit(limit)
    ).all()


@transaction
def send_batch(batch_size: int = 100, now: datetime | None = None) -> int:
    """Email up to ``batch_size`` people; returns how many messages went out."""
    now = now or datetime.now(UTC)
    sent = 0
    # A request context of the site's own address, so each notification's link is absolute.
    with current_app.test_request_context(base_url=current_app.config["SITE_URL"]):
        for user_id in recipients_waiting(batch_size):
            _email_one(db.session.get(User, user_id), now)
            sent += 1
    return sent


def _email_one(user: User, now: datetime) -> None:
    """One message with every notification the person was not yet emailed about."""
    waiting = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user.id, Notification.emailed_at.is_(None))
        .order_by(Notification.created_at, Notification.id)
    ).all()
    language = user.preferred_language if user.preferred_language in current_app.config["LANGUAGES"] else "en"
    lines = [(text(n, language), url_of(n, external=True)) for n in waiting]
    send_email(user.email, "notifications", language, name=user.display_name, lines=lines)
    for notification in waiting:
        notification.emailed_at = now


def send_all(batch_size: int = 100, now: datetime | None = None) -> int:
    """Batches until nothing is waiting; returns the number of messages sent."""
    total = 0
    while True:
        sent = send_batch(batch_size, now)
        total += sent
        if sent < batch_size:
            return total
