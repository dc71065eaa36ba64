"""Notifications for every signed-in person, and the survey after a completed experience."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm
from cpspartners.models import Notification
from cpspartners.models.outcomes import RUBRIC
from cpspartners.models.queries import page_of
from cpspartners.outcomes.forms import RUBRIC_QUESTIONS
from cpspartners.services import feedback, notify
from cpspartners.services.notify import text
from cpspartners.web import form_errors_flash, page_number

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


RESPONDENT_LABELS = {"student": _l("Student"), "teacher": _l("Teacher"), "partner": _l("Partner staff")}


def unread_notifications():
    """Unread notifications of the signed-in person (for the header)."""
    if not policy.is_signed_in(current_user):
        return 0
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        )
        or 0
    )


@bp.app_context_processor
def unread_count():
    """Helpers every template may call: the header's unread count, menus, feedback labels."""
    return {
        "unread_notifications": unread_notifications,
        "workflow_links": workflow_links,
        "notification_text": text,
        "notification_url": notify.url_of,
        "rubric_questions": RUBRIC_QUESTIONS,
        "rubric_items": RUBRIC,
        "format_percent": format_percent,
        "respondent_role_label": lambda code: RESPONDENT_LABELS.get(code, code),
    }


def workflow_links(user):
    """The main-menu entries for the workflows this person takes part in."""
    if policy.is_student(user):
        return [
            ("applications.mine", _("My applications")),
            ("pools.my_seats", _("My seats")),
            ("records.mine", _("My record")),
        ]
    if policy.is_teacher(user):
        return [("visits.find", _("Find a speaker")), ("visits.mine", _("My requests"))]
    if policy.is_partner_staff(user):
        return [("applications.received", _("Applications")), ("visits.received", _("Requests"))]
    if policy.is_specialist(user):
        return [
            ("applications.received", _("Applications")),
            ("visits.flagged", _("Flagged requests")),
            ("relationships.my_follow_ups", _("My follow-ups")),
        ]
    return []


@bp.route("")
@policy.signed_in
def notification_list():
    stmt = (
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    pagination = page_of(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "notifications/list.html",
        pagination=pagination,
        action_form=ActionForm(),
        locale=str(get_locale()),
        surveys=feedback.pending(current_user)[:20],
    )


@bp.route("/read", methods=["POST"])
@policy.signed_in
def mark_all_read():
    form = ActionForm()
    if form.validate_on_submit():
        notify.mark_all_read(current_user)
        flash(_("All notifications are marked as read."), "success")
    else:
        form_errors_flash(form)
    return redirect(url_for("notifications.notification_list"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@policy.signed_in
def mark_read(notification_id):
    notification = db.get_or_404(Notification, notification_id)
    policy.authorize(policy.is_recipient(current_user, notification))
    form = ActionForm()
    if form.validate_on_submit():
        notify.mark_read(current_user, notification)
        destination = notify.url_of(notification)
        if destination:
            return redirect(destination)
    else:
        form_errors_flash(form)
    return redirect(url_for("notifications.notification_list"))
