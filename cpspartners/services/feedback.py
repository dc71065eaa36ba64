"""Surveys after an experience, and the scorecards that roll them up.

Who answers: for a completed application, the student and the partner's staff; for a completed
visit, the teacher and the partner's staff. Specialists read every response; partners read only
the summaries of their own listings.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Application, Feedback, Opportunity, User, VisitRequest
from cpspartners.models.outcomes import RUBRIC
from cpspartners.services._base import transaction
from cpspartners.services.errors import Conflict, NotAllowed, RuleBroken

Experience = TypeVar("Experience", Application, VisitRequest)


@transaction
def submit(
    user: User, experience: Application | VisitRequest, ratings: Mapping[str, Any], comment: str = ""
) -> Feedback:
    """Record one survey answer; each person answers once per experience."""
    role = _check_can_answer(user, experience, ratings)
    is_application = isinstance(experience, Application)
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


def _check_can_answer(user: User, experience: Application | VisitRequest, ratings: Mapping[str, Any]) -> str:
    """The role ``user`` answers as, once the survey may be answered with these ratings."""
    role = policy.survey_role(user, experience)
    if role is None:
        raise NotAllowed(_l("You did not take part in this."))
    if experience.state != "completed":
        raise RuleBroken(_l("You can give feedback once the experience is completed."))
    if any(not isinstance(ratings.get(item), int) or not 1 <= ratings[item] <= 4 for item in RUBRIC):
        raise RuleBroken(_l("Choose a rating from 1 to 4 for every question."))
    answered = Feedback.application_id if isinstance(experience, Application) else Feedback.visit_id
    if db.session.scalar(select(Feedback.id).where(Feedback.respondent_id == user.id, answered == experience.id)):
        raise Conflict(_l("You have already answered this survey."))
    return role


def pending(user: User) -> list[Application | VisitRequest]:
    """Completed experiences this person has not yet given feedback on."""
    apps = _unanswered(user, Application, Feedback.application_id)
    visits = _unanswered(user, VisitRequest, Feedback.visit_id)
    found: list[Application | VisitRequest] = []
    if policy.is_student_account(user):
        found += db.session.scalars(apps.where(Application.student_id == user.id)).all()
    if policy.is_teacher_account(user):
        found += db.session.scalars(visits.where(VisitRequest.teacher_id == user.id)).all()
    if policy.is_partner_account(user):
        found += db.session.scalars(apps.join(Opportunity).where(Opportunity.partner_id == user.partner_id)).all()
        found += db.session.scalars(visits.where(VisitRequest.partner_id == user.partner_id)).all()
    return found


def _unanswered(user: User, model: type[Experience], answered: Any) -> Select[tuple[Experience]]:
    """Completed experiences of one kind whose survey ``user`` has not answered."""
    answers = select(answered).where(Feedback.respondent_id == user.id, answered.is_not(None))
    return select(model).where(model.state == "completed", model.id.not_in(answers))


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
    if not policy.is_specialist_account(user):
        raise NotAllowed(_l("Only partnership specialists can read individual responses."))
    stmt = select(Feedback).order_by(Feedback.created_at.desc())
    if partner_id is not None:
        stmt = stmt.where(Feedback.partner_id == partner_id)
    return stmt
