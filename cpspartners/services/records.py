"""A student's record: experiences completed, hours, credentials and college credit, and the
links the student makes to share it.

The record is read from the rows that already hold it (completed applications, attended
events, confirmed credentials): nothing is typed in twice. A link is the student's act alone;
it expires, the student may revoke it, and each opening is in the audit log.
"""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Application, Credential, EventSignup, RecordShare, User
from cpspartners.services._base import transaction, utcnow
from cpspartners.services.audit import record
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken

# CPS aims for every graduate to hold "the equivalent of a semester's worth of advanced course
# credits" (seeds, Career-Connected Learning). The district gives no number; 15 credit hours is
# a full-time college semester, the figure the page states it measures against.
SEMESTER_CREDITS = Decimal(15)
SHARE_DAYS = (7, 30, 90)
MAX_LIVE_SHARES = 10


@dataclass(frozen=True)
class Experience:
    title: str
    organisation: str
    finished_on: date | None
    hours: Decimal | None
    kind: str  # "application" | "event"


@dataclass(frozen=True)
class StudentRecord:
    """What the record page (and a shared link) shows. No contact details: a first name only."""

    first_name: str
    grade: int | None
    school: str
    experiences: list[Experience] = field(default_factory=list)
    credentials: list[Credential] = field(default_factory=list)

    @property
    def hours(self) -> Decimal:
        return sum((e.hours or Decimal(0) for e in self.experiences), Decimal(0))

    @property
    def college_credits(self) -> Decimal:
        found = (c.credits or Decimal(0) for c in self.credentials if c.kind == "college_credit")
        return sum(found, Decimal(0))

    @property
    def semester_percent(self) -> int:
        """How far the college credits go toward a semester's worth, capped at 100."""
        return min(100, int(self.college_credits * 100 / SEMESTER_CREDITS))


def record_of(student: User) -> StudentRecord:
    """The student's record from the rows that hold it, newest first."""
    experiences = [_from_application(a) for a in _completed(student)]
    experiences += [_from_event(s) for s in _attended(student)]
    experiences.sort(key=lambda e: (e.finished_on or date.min, e.title), reverse=True)
    return StudentRecord(
        first_name=(student.name or "").split(" ")[0],
        grade=student.grade,
        school=student.school.long_name if student.school else "",
        experiences=experiences,
        credentials=list(confirmed_credentials(student)),
    )


def _completed(student: User) -> Sequence[Application]:
    return db.session.scalars(
        select(Application).where(Application.student_id == student.id, Application.state == "completed")
    ).all()


def _attended(student: User) -> Sequence[EventSignup]:
    return db.session.scalars(
        select(EventSignup).where(EventSignup.user_id == student.id, EventSignup.attended.is_(True))
    ).all()


def _from_application(application: Application) -> Experience:
    opp = application.opportunity
    return Experience(opp.title, opp.partner.name, application.completed_on, application.hours, "application")


def _from_event(signup: EventSignup) -> Experience:
    opp = signup.opportunity
    return Experience(opp.title, opp.partner.name, opp.starts_on, None, "event")


def confirmed_credentials(student: User) -> Sequence[Credential]:
    """Only credentials a specialist confirmed count on the record."""
    return db.session.scalars(
        select(Credential)
        .where(Credential.student_id == student.id, Credential.status == "confirmed")
        .order_by(Credential.earned_on.desc(), Credential.id)
    ).all()


def awaiting_confirmation(student: User) -> int:
    """Credentials claimed for the student that no specialist has checked yet (own page only)."""
    return len(
        db.session.scalars(
            select(Credential.id).where(Credential.student_id == student.id, Credential.status == "claimed")
        ).all()
    )


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def is_live(share: RecordShare, now: datetime) -> bool:
    """Not stopped and not expired at ``now``. SQLite gives datetimes back naive (they are UTC)."""
    expires = share.expires_at if share.expires_at.tzinfo else share.expires_at.replace(tzinfo=UTC)
    return share.revoked_at is None and expires > now


@transaction
def share_record(student: User, days: int, label: str = "", now: datetime | None = None) -> tuple[RecordShare, str]:
    """A new link to the student's record, valid ``days`` days; returns it and its token (shown once)."""
    if not policy.keeps_own_record(student):
        raise NotAllowed(_l("Only a student can share their own record."))
    if days not in SHARE_DAYS:
        raise RuleBroken(_l("Choose how long the link works."))
    now = now or utcnow()
    if len([s for s in shares_of(student) if is_live(s, now)]) >= MAX_LIVE_SHARES:
        raise RuleBroken(_l("You have 10 links that still work. Stop one before making another."))
    token = secrets.token_urlsafe(32)
    share = RecordShare(
        student_id=student.id,
        token_hash=_hash(token),
        label=label.strip()[:80],
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    db.session.add(share)
    db.session.flush()
    record(
        student,
        "shared",
        "student_record",
        student.id,
        {"days": [None, days]},
        note=_l("record link %(number)d", number=share.id),
    )
    return share, token


@transaction
def revoke_share(student: User, share: RecordShare, now: datetime | None = None) -> RecordShare:
    """The student stops a link; it opens nothing from now on."""
    if not policy.owns_share(student, share):
        raise NotAllowed(_l("This link is not yours."))
    if share.revoked_at is not None:
        raise Conflict(_l("This link was already stopped."))
    share.revoked_at = now or utcnow()
    record(student, "share_revoked", "student_record", student.id, note=_l("record link %(number)d", number=share.id))
    return share


@transaction
def open_share(token: str, now: datetime | None = None) -> RecordShare | None:
    """The link's share when it still works (counted and audited), else None: expired, stopped,
    unknown, or the student's account no longer in good standing."""
    now = now or utcnow()
    if not token or len(token) > 100:
        return None
    share = db.session.scalars(select(RecordShare).where(RecordShare.token_hash == _hash(token))).first()
    if share is None or not is_live(share, now) or not policy.keeps_own_record(share.student):
        return None
    share.views = (share.views or 0) + 1
    share.last_viewed_at = now
    record(
        None, "viewed_by_link", "student_record", share.student_id, note=_l("record link %(number)d", number=share.id)
    )
    return share


def shares_of(student: User) -> Sequence[RecordShare]:
    """The student's links, newest first."""
    return db.session.scalars(
        select(RecordShare).where(RecordShare.student_id == student.id).order_by(RecordShare.created_at.desc())
    ).all()
