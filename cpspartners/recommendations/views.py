"""The "For you" page for students, "Suggested for your classes" for teachers, and their profiles."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from cpspartners import policy, search
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm
from cpspartners.models import Opportunity, StudentProfile, TeacherProfile
from cpspartners.models.engagement import split_codes
from cpspartners.recommendations import candidates, ranking
from cpspartners.recommendations.forms import StudentProfileForm, TeacherProfileForm
from cpspartners.security import safe_next
from cpspartners.services import engagement
from cpspartners.taxonomy import CAREER_CLUSTERS, INTEREST_TAG_LABELS, LANGUAGES, label
from cpspartners.web import run

bp = Blueprint("recommendations", __name__, url_prefix="/for-you")


def describe(name, value):
    """Codes inside reasons (a cluster, a language) as names in the reader's language."""
    if name == "cluster":
        return str(label(CAREER_CLUSTERS, value))
    if name == "language":
        return str(label(LANGUAGES, value))
    if name == "interest":
        return str(label(INTEREST_TAG_LABELS, value))
    if name == "miles" and isinstance(value, (int, float)):
        return format_decimal(value, format="#,##0.0")  # "0,4" in Spanish, "0.4" in English
    return value


def reason_words(reason):
    return ranking.reason_text(reason, lambda message, **params: _(message, **params), describe)


def _profile_word_scores(profile):
    """The person's own words (a student's free words, a teacher's subjects) matched through the search index."""
    if isinstance(profile, StudentProfile):
        words = profile.free_words.split()
    elif isinstance(profile, TeacherProfile):
        words = [word for subject in profile.subject_list for word in subject.split()]
    else:
        words = []
    return search.text_scores(words) if words else None


@bp.route("")
@policy.requires(policy.is_seeker)
def recommendations():
    profile = candidates.profile_of(current_user)
    ranked = candidates.recommendations_for(
        current_user, limit=12, text_scores=_profile_word_scores(profile), profile=profile
    )
    # Each card names its partner (joined to its row) and says whether the student may apply
    # (the schools): loaded with the page, not one query per card.
    stmt = select(Opportunity).where(Opportunity.id.in_([r.offer_id for r in ranked]))
    loads = (joinedload(Opportunity.partner), selectinload(Opportunity.schools))
    rows = {o.id: o for o in db.session.scalars(stmt.options(*loads))}
    items = [(rows[r.offer_id], [reason_words(reason) for reason in r.reasons]) for r in ranked if r.offer_id in rows]
    return render_template(
        "recommendations/recommendations.html",
        items=items,
        has_profile=profile is not None,
        saved=engagement.saved_ids(current_user),
        form=ActionForm(),
    )


@bp.route("/profile", methods=["GET", "POST"])
@policy.requires(policy.is_seeker)
def profile():
    if policy.is_student_account(current_user):
        return _student_profile()
    return _teacher_profile()


def _student_form_data(stored):
    """The stored profile as the form's starting values."""
    return {
        "clusters": stored.cluster_codes,
        "tags": stored.tag_list,
        "free_words": stored.free_words,
        "languages": stored.language_codes,
        "modality": stored.modality,
        "needs_paid": stored.needs_paid,
        "needs_transportation": stored.needs_transportation,
    }


def _save_student_profile(form):
    engagement.update_student_profile(
        current_user,
        form.clusters.data,
        form.tags.data,
        form.free_words.data or "",
        form.languages.data,
        form.modality.data,
        form.needs_paid.data,
        form.needs_transportation.data,
    )


def _student_profile():
    stored = db.session.get(StudentProfile, current_user.id)
    data = _student_form_data(stored) if request.method == "GET" and stored is not None else None
    form = StudentProfileForm(data=data)
    if form.validate_on_submit():
        _save_student_profile(form)
        flash(_("Saved. Your suggestions now follow your interests."), "success")
        return redirect(url_for("recommendations.recommendations"))
    return render_template("recommendations/profile.html", form=form), (400 if form.errors else 200)


def _teacher_profile():
    stored = db.session.get(TeacherProfile, current_user.id)
    data = None
    if request.method == "GET" and stored is not None:
        data = {"subjects": ", ".join(stored.subject_list), "grade_bands": split_codes(stored.grade_bands)}
    form = TeacherProfileForm(data=data)
    if form.validate_on_submit():
        engagement.update_teacher_profile(current_user, form.subjects.data or "", form.grade_bands.data)
        flash(_("Saved. Suggestions now follow your subjects and grades."), "success")
        return redirect(url_for("recommendations.recommendations"))
    return render_template("recommendations/profile.html", form=form), (400 if form.errors else 200)


def _act(action, opportunity_id, message):
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    run(action, current_user, opportunity_id, success=message)
    return redirect(safe_next(request.form.get("next") or url_for("recommendations.recommendations")))


@bp.route("/saved")
@policy.requires(policy.is_seeker)
def saved():
    return render_template(
        "recommendations/saved.html",
        items=engagement.saved_opportunities(current_user),
        dismissed=engagement.dismissed_opportunities(current_user),
        form=ActionForm(),
    )


@bp.route("/saved/<int:opportunity_id>", methods=["POST"])
@policy.requires(policy.is_seeker)
def save(opportunity_id):
    return _act(engagement.save, opportunity_id, _("Saved. You will get a reminder before the deadline."))


@bp.route("/saved/<int:opportunity_id>/remove", methods=["POST"])
@policy.requires(policy.is_seeker)
def unsave(opportunity_id):
    return _act(engagement.unsave, opportunity_id, _("Removed from your saved list."))


@bp.route("/not-interested/<int:opportunity_id>", methods=["POST"])
@policy.requires(policy.is_seeker)
def dismiss(opportunity_id):
    return _act(engagement.dismiss, opportunity_id, _("Hidden. We will show fewer like it."))


@bp.route("/not-interested/<int:opportunity_id>/undo", methods=["POST"])
@policy.requires(policy.is_seeker)
def undismiss(opportunity_id):
    return _act(engagement.undismiss, opportunity_id, _("It can be suggested again."))
