"""What students and teachers tell us and do with listings: profiles, saves, "not interested".

Each function is one transaction. Only students and teachers have profiles; only they save or
dismiss (``NotAllowed`` otherwise).
"""

from collections.abc import Iterable, Sequence
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import Row, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.models import Dismissal, Opportunity, SavedOpportunity, StudentProfile, TeacherProfile, User
from cpspartners.models.engagement import join_codes
from cpspartners.models.queries import public_opportunities
from cpspartners.services._base import transaction
from cpspartners.services.errors import NotAllowed, RuleBroken


def _seeker(user: User) -> None:
    if not policy.is_seeker_account(user):
        raise NotAllowed(_l("Only students and teachers can do this."))


def _public(opportunity_id: int) -> Opportunity:
    opp = db.session.scalars(public_opportunities().where(Opportunity.id == opportunity_id)).first()
    if opp is None:
        raise RuleBroken(_l("That opportunity is not open."))
    return opp


@transaction
def update_student_profile(
    user: User,
    clusters: Iterable[str],
    tags: Iterable[str],
    free_words: str,
    languages: Iterable[str],
    modality: str,
    needs_paid: bool,
    needs_transportation: bool,
) -> StudentProfile:
    if not policy.is_student_account(user):
        raise NotAllowed(_l("Only students have this profile."))
    profile = db.session.get(StudentProfile, user.id) or StudentProfile(user_id=user.id)
    profile.clusters = join_codes(clusters)
    profile.tags = join_codes(t.lower() for t in tags)
    profile.free_words = " ".join(free_words.split())[:200]
    profile.languages = join_codes(languages) or "en"
    profile.modality = modality
    profile.needs_paid = bool(needs_paid)
    profile.needs_transportation = bool(needs_transportation)
    db.session.add(profile)
    return profile


@transaction
def update_teacher_profile(user: User, subjects: str, grade_bands: Iterable[str]) -> TeacherProfile:
    if not policy.is_teacher_account(user):
        raise NotAllowed(_l("Only teachers have this profile."))
    profile = db.session.get(TeacherProfile, user.id) or TeacherProfile(user_id=user.id)
    profile.subjects = join_codes(s.strip() for s in subjects.split(","))[:300]
    profile.grade_bands = join_codes(grade_bands)
    db.session.add(profile)
    return profile


@transaction
def save(user: User, opportunity_id: int) -> None:
    _seeker(user)
    _public(opportunity_id)
    if db.session.get(SavedOpportunity, (user.id, opportunity_id)) is None:
        db.session.add(SavedOpportunity(user_id=user.id, opportunity_id=opportunity_id))


@transaction
def unsave(user: User, opportunity_id: int) -> None:
    saved = db.session.get(SavedOpportunity, (user.id, opportunity_id))
    if saved is not None:
        db.session.delete(saved)


@transaction
def dismiss(user: User, opportunity_id: int) -> None:
    """ "Not interested": hidden from this person's recommendations, similar ones move down."""
    _seeker(user)
    _public(opportunity_id)
    if db.session.get(Dismissal, (user.id, opportunity_id)) is None:
        db.session.add(Dismissal(user_id=user.id, opportunity_id=opportunity_id))


@transaction
def undismiss(user: User, opportunity_id: int) -> None:
    dismissal = db.session.get(Dismissal, (user.id, opportunity_id))
    if dismissal is not None:
        db.session.delete(dismissal)


def saved_ids(user: User) -> set[int]:
    return set(db.session.scalars(select(SavedOpportunity.opportunity_id).where(SavedOpportunity.user_id == user.id)))


def saved_opportunities(user: User) -> Sequence[Opportunity]:
    """The person's saved listings that are still public, soonest deadline first."""
    stmt = (
        public_opportunities()
        .join(SavedOpportunity, SavedOpportunity.opportunity_id == Opportunity.id)
        .where(SavedOpportunity.user_id == user.id)
    )
    return db.session.scalars(stmt.order_by(Opportunity.deadline.is_(None), Opportunity.deadline)).all()


def dismissed_opportunities(user: User) -> Sequence[Opportunity]:
    stmt = (
        select(Opportunity)
        .join(Dismissal, Dismissal.opportunity_id == Opportunity.id)
        .where(Dismissal.user_id == user.id)
        .order_by(Dismissal.created_at.desc())
    )
    return db.session.scalars(stmt).all()


def deadline_reminders(today: date, days: int) -> Sequence[Row[tuple[User, Opportunity]]]:
    """(user, opportunity) pairs: a saved, still-open listing whose deadline is exactly ``days`` away.

    Exactly, so that a daily cron reminds once per saved listing without remembering anything.
    """
    from datetime import timedelta

    due = today + timedelta(days=days)
    # The rule itself, not a copy: a copy here once forgot the partner half of "public", and
    # students were reminded of listings whose partner had been archived.
    stmt = (
        select(User, Opportunity)
        .join(SavedOpportunity, SavedOpportunity.user_id == User.id)
        .join(Opportunity, Opportunity.id == SavedOpportunity.opportunity_id)
        .where(Opportunity.deadline == due, Opportunity.is_public)
    )
    return db.session.execute(stmt).all()
