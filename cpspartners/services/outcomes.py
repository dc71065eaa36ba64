"""Outcome reports for specialists: by school, network or community area, for a school year.

A school year runs from 1 August to 31 July. A student counts for the school on their account.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, distinct, func, select, union_all

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Application, CommunityArea, Credential, EventSignup, Opportunity, School, User
from cpspartners.models.outcomes import CREDENTIAL_KINDS
from cpspartners.services._base import transaction
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken

GROUPS = {"school": School.id, "network": School.network, "area": School.community_area_number}


def school_year(label: str) -> tuple[date, date]:
    """``"2025-26"`` -> (date(2025, 8, 1), date(2026, 7, 31)); anything else is a RuleBroken."""
    try:
        start = int(label[:4])
        if len(label) != 7 or label[4] != "-" or int(label[5:]) != (start + 1) % 100:
            raise ValueError
    except ValueError:
        raise RuleBroken(_l("Write the school year like 2025-26.")) from None
    return date(start, 8, 1), date(start + 1, 7, 31)


def current_school_year(today: date | None = None) -> str:
    today = today or date.today()
    start = today.year if today.month >= 8 else today.year - 1
    return "%d-%02d" % (start, (start + 1) % 100)


@dataclass(frozen=True)
class OutcomeRow:
    key: object
    label: str
    enrolment: int
    students_reached: int
    students_with_experience_or_credential: int
    hours: float
    credentials: dict  # kind -> count
    # Students who attended a community event that year (marked by staff or the partner).
    events_attended: int = 0

    @property
    def share(self) -> float | None:
        return round(self.students_with_experience_or_credential / self.enrolment, 4) if self.enrolment else None


def report(group: str, year_label: str) -> list[OutcomeRow]:
    """One ``OutcomeRow`` per school, network or area that has enrolment."""
    if group not in GROUPS:
        raise RuleBroken(_l("Group by school, network or community area."))
    first, last = school_year(year_label)
    key = GROUPS[group]
    completed = (
        select(User.id.label("sid"), key.label("grp"), Application.hours.label("hours"))
        .join(Application, Application.student_id == User.id)
        .join(School, School.id == User.school_id)
        .where(Application.state == "completed", Application.completed_on.between(first, last))
    ).subquery()
    confirmed = (
        select(User.id.label("sid"), key.label("grp"), Credential.kind.label("kind"))
        .join(Credential, Credential.student_id == User.id)
        .join(School, School.id == User.school_id)
        .where(Credential.status == "confirmed", Credential.earned_on.between(first, last))
    ).subquery()
    attended = (
        select(User.id.label("sid"), key.label("grp"))
        .join(EventSignup, EventSignup.user_id == User.id)
        .join(Opportunity, Opportunity.id == EventSignup.opportunity_id)
        .join(School, School.id == User.school_id)
        .where(
            policy.accounts_with_role("student"),
            EventSignup.attended.is_(True),
            Opportunity.starts_on.between(first, last),
        )
    ).subquery()
    anyone = union_all(
        select(completed.c.sid, completed.c.grp),
        select(confirmed.c.sid, confirmed.c.grp),
        select(attended.c.sid, attended.c.grp),
    ).subquery()
    at_events = dict(
        db.session.execute(select(attended.c.grp, func.count(distinct(attended.c.sid))).group_by(attended.c.grp))
        .tuples()
        .all()
    )
    reached = dict(
        db.session.execute(select(completed.c.grp, func.count(distinct(completed.c.sid))).group_by(completed.c.grp))
        .tuples()
        .all()
    )
    hours = dict(
        db.session.execute(
            select(completed.c.grp, func.coalesce(func.sum(completed.c.hours), 0)).group_by(completed.c.grp)
        )
        .tuples()
        .all()
    )
    either = dict(
        db.session.execute(select(anyone.c.grp, func.count(distinct(anyone.c.sid))).group_by(anyone.c.grp))
        .tuples()
        .all()
    )
    credentials: dict[Any, dict[str, int]] = {}
    for grp, kind, count in db.session.execute(
        select(confirmed.c.grp, confirmed.c.kind, func.count()).group_by(confirmed.c.grp, confirmed.c.kind)
    ):
        credentials.setdefault(grp, {})[kind] = count
    rows = []
    for grp, label, enrolment in group_labels(group):
        rows.append(
            OutcomeRow(
                grp,
                label,
                int(enrolment or 0),
                reached.get(grp, 0),
                either.get(grp, 0),
                float(hours.get(grp, 0) or 0),
                {kind: credentials.get(grp, {}).get(kind, 0) for kind in CREDENTIAL_KINDS},
                at_events.get(grp, 0),
            )
        )
    return rows


def group_labels(group: str) -> Sequence[Row[Any]]:
    if group == "school":
        return db.session.execute(
            select(School.id, School.long_name, School.student_count).order_by(School.long_name)
        ).all()
    if group == "network":
        return db.session.execute(
            select(School.network, School.network, func.sum(School.student_count))
            .group_by(School.network)
            .order_by(School.network)
        ).all()
    return db.session.execute(
        select(CommunityArea.number, CommunityArea.name, func.sum(School.student_count))
        .join(School, School.community_area_number == CommunityArea.number)
        .group_by(CommunityArea.number, CommunityArea.name)
        .order_by(CommunityArea.name)
    ).all()


@transaction
def confirm_credential(
    specialist: User, credential: Credential, accept: bool, now: datetime | None = None
) -> Credential:
    """A specialist checks the evidence and confirms (or rejects) a credential."""
    if not policy.is_specialist_account(specialist):
        raise NotAllowed(_l("Only partnership specialists can confirm credentials."))
    if credential.status != "claimed":
        raise Conflict(_l("This credential has already been reviewed."))
    credential.status = "confirmed" if accept else "rejected"
    credential.confirmed_by_id = specialist.id
    credential.confirmed_at = now or datetime.combine(date.today(), time(12), UTC)
    return credential


def csv_rows(rows: Iterable[OutcomeRow]) -> tuple[list[str], list[list[Any]]]:
    header = (
        ["group", "enrolment", "students_reached", "students_with_experience_or_credential", "share", "hours"]
        + ["credentials_" + kind for kind in CREDENTIAL_KINDS]
        + ["events_attended"]
    )
    body = [
        [r.label, r.enrolment, r.students_reached, r.students_with_experience_or_credential, r.share, r.hours]
        + [r.credentials[kind] for kind in CREDENTIAL_KINDS]
        + [r.events_attended]
        for r in rows
    ]
    return header, body
