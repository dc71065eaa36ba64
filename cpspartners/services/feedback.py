"""Surveys after an experience, and the scorecards that roll them up.

Who answers: for a completed application, the student and the partner's staff; for a completed
visit, the teacher and the partner's staff. Specialists read every response; partners read only
the summaries of their own listings.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from cpspartners.extensions import db
from cpspartners.models import Application, Feedback, Opportunity, User, VisitRequest
from cpspartners.models.outcomes import RUBRIC
from cpspartners.services import applications, visit_requests
from cpspartners.services._base import transaction
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken


def respondent_role(user: User, experience: Application | VisitRequest) -> str | None:
    """ "student", "teacher" or "partner" if ``user`` is asked about ``experience``, else None."""
    if isinstance(experience, Application):
        side = applications.side_of(user, experience)
        if side == "student":
            return "student"
        return "partner" if side == "partner" and user.role == "partner_staff" else None
    side = visit_requests.side_of(user, experience)
    return side if side in ("teacher", "partner") else None


@transaction
def submit(
    user: User, experience: Application | VisitRequest, ratings: Mapping[str, Any], comment: str = ""
) -> Feedback:
    """Record one survey answer; each person answers once per experience."""
    role = respondent_role(user, experience)
    if role is None:
        raise NotAllowed(_l("You did not take part in this."))
    if experience.state != "completed":
        raise RuleBroken(_l("You can give feedback once the experience is completed."))
    if any(not isinstance(ratings.get(item), int) or not 1 <= ratings[item] <= 4 for item in RUBRIC):
        raise RuleBroken(_l("Choose a rating from 1 to 4 for every question."))
    is_application = isinstance(experience, Application)
    answered = Feedback.application_id if is_application else Feedback.visit_id
    if db.session.scalar(select(Feedback.id).where(Feedback.respondent_id == user.id, answered == experience.id)):
        raise Conflict(_l("You have already answered this survey."))
    feedback = Feedback(
        respondent_id=user.id,
        respondent_role=role,
        opportunity_id=experience.opportunity_id,
        partner_id=experience.opportunity.partner_id if is_application else experience.partner_id,
        comment=(comment or "").strip()[:4000],
        application_id=experience.id if is_application else None,
        visit_id=None if is_application else experience.id,
        **{item: ratings[item] for item in RUBRIC},
    )
    db.session.add(feedback)
    return feedback


def pending(user: User) -> list[Application | VisitRequest]:
    """Completed experiences this person has not yet given feedback on."""
    answered_apps = select(Feedback.application_id).where(
        Feedback.respondent_id == user.id, Feedback.application_id.is_not(None)
    )
    answered_reqs = select(Feedback.visit_id).where(Feedback.respondent_id == user.id, Feedback.visit_id.is_not(None))
    found: list[Application | VisitRequest] = []
    if user.role == "student":
        found += db.session.scalars(
            select(Application).where(
                Application.student_id == user.id,
                Application.state == "completed",
                Application.id.not_in(answered_apps),
            )
        ).all()
    if user.role == "teacher":
        found += db.session.scalars(
            select(VisitRequest).where(
                VisitRequest.teacher_id == user.id,
                VisitRequest.state == "completed",
                VisitRequest.id.not_in(answered_reqs),
            )
        ).all()
    if user.role == "partner_staff":
        found += db.session.scalars(
            select(Application)
            .join(Opportunity)
            .where(
                Opportunity.partner_id == user.partner_id,
                Application.state == "completed",
                Application.id.not_in(answered_apps),
            )
        ).all()
        found += db.session.scalars(
            select(VisitRequest).where(
                VisitRequest.partner_id == user.partner_id,
                VisitRequest.state == "completed",
                VisitRequest.id.not_in(answered_reqs),
            )
        ).all()
    return found


@dataclass(frozen=True)
class Scorecard:
    responses: int
    averages: dict  # rubric item -> average (1-4) or None
    would_recommend_share: float  # share answering 3 or 4 to "would recommend"


def scorecard(partner_id: int | None = None, opportunity_id: int | None = None) -> Scorecard:
    """Averages of every rubric item over the matching responses."""
    stmt = select(
        func.count(),
        *(func.avg(getattr(Feedback, item)) for item in RUBRIC),
        func.sum(db.case((Feedback.recommend >= 3, 1), else_=0)),
    )
    if partner_id is not None:
        stmt = stmt.where(Feedback.partner_id == partner_id)
    if opportunity_id is not None:
        stmt = stmt.where(Feedback.opportunity_id == opportunity_id)
    count, *averages, recommending = db.session.execute(stmt).one()
    return Scorecard(
        count,
        {
            item: (round(float(avg), 2) if avg is not None else None)
            for item, avg in zip(RUBRIC, averages, strict=False)
        },
        round((recommending or 0) / count, 2) if count else 0.0,
    )


def responses_visible_to(user: User, partner_id: int | None = None) -> Select[tuple[Feedback]]:
    """Individual responses: specialists only. Partners get scorecards, not answers."""
    if user.role not in ("specialist", "admin"):
        raise NotAllowed(_l("Only partnership specialists can read individual responses."))
    stmt = select(Feedback).order_by(Feedback.created_at.desc())
    if partner_id is not None:
        stmt = stmt.where(Feedback.partner_id == partner_id)
    return stmt
