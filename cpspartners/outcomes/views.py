"""Feedback: specialists read every response (filters, CSV); partner staff see only the
scorecard summaries of their own organization and listings.

The reports (responses, scorecards, the outcome report and their CSVs) read the read replica
when one is set (``replica.reads``); the credential queue, where specialists decide, and every
form stay on the primary."""

import math
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cpspartners import policy, replica
from cpspartners.extensions import db, limiter
from cpspartners.formtools import ActionForm, options
from cpspartners.models import Application, Credential, Feedback, Opportunity, Partner, VisitRequest
from cpspartners.models.outcomes import CREDENTIAL_KINDS, RESPONDENT_ROLES, RUBRIC
from cpspartners.models.queries import page_of
from cpspartners.outcomes.forms import CredentialForm, FeedbackForm
from cpspartners.paging import PagerMixin
from cpspartners.services import ServiceError, audit, credentials, exports, feedback, outcomes, staff_exports
from cpspartners.text import small_int
from cpspartners.web import csv_download, page_number, run

bp = Blueprint("outcomes", __name__, url_prefix="/outcomes")


def _filtered():
    args = request.args
    partner_id = small_int(args.get("partner", ""), 1, 2_000_000_000)
    opportunity_id = small_int(args.get("opportunity", ""), 1, 2_000_000_000)
    role = args.get("role") if args.get("role") in RESPONDENT_ROLES else ""
    stmt = feedback.responses_visible_to(current_user, partner_id)
    if opportunity_id:
        stmt = stmt.where(Feedback.opportunity_id == opportunity_id)
    if role:
        stmt = stmt.where(Feedback.respondent_role == role)
    return stmt, {"partner": partner_id or "", "opportunity": opportunity_id or "", "role": role}


@bp.route("/feedback")
@policy.requires(policy.is_specialist)
def feedback_list():
    stmt, selected = _filtered()
    page = page_number()
    with replica.reads():
        return _feedback_page(stmt, selected, page)


def _feedback_page(stmt, selected, page):
    partners = db.session.execute(
        select(Partner.id, Partner.name)
        .where(Partner.id.in_(select(Feedback.partner_id).distinct()))
        .order_by(Partner.name)
    ).all()
    return render_template(
        "outcomes/feedback.html",
        pagination=page_of(stmt, page, current_app.config["PAGE_SIZE"]),
        selected=selected,
        partners=partners,
        roles=RESPONDENT_ROLES,
        rubric=RUBRIC,
        card=feedback.scorecard(partner_id=selected["partner"] or None, opportunity_id=selected["opportunity"] or None),
    )


@bp.route("/feedback.csv")
@policy.requires(policy.can_export_student_data)
@limiter.limit(lambda: current_app.config["STAFF_EXPORT_LIMIT"], key_func=lambda: "export:%s" % current_user.id)
def feedback_csv():
    """Survey answers hold what students wrote: scoped by the page's filters, audited, limited."""
    stmt, _selected = _filtered()
    with replica.reads():
        header, rows = exports.feedback_csv(stmt)
        rows = list(rows)
    # After the block: the audit entry goes to the primary (the replica refuses writes).
    staff_exports.log_export(current_user, "feedback-responses.csv", len(rows), request.query_string.decode()[:200])
    return csv_download("feedback-responses.csv", header, rows)


@bp.route("/scorecards")
@policy.requires(policy.is_partner_staff)
def partner_scorecards():
    partner = current_user.partner  # read on the primary, like the permission check
    with replica.reads():
        return _scorecards(partner)


def _scorecards(partner):
    listings = db.session.scalars(
        select(Opportunity)
        .where(Opportunity.partner_id == partner.id, Opportunity.id.in_(select(Feedback.opportunity_id).distinct()))
        .order_by(Opportunity.title)
    ).all()
    return render_template(
        "outcomes/scorecards.html",
        partner=partner,
        rubric=RUBRIC,
        overall=feedback.scorecard(partner_id=partner.id),
        cards=[(opp, feedback.scorecard(opportunity_id=opp.id)) for opp in listings],
    )


SORTS = {
    "name": lambda r: str(r.label or "").lower(),
    "enrolment": lambda r: r.enrolment,
    "reached": lambda r: r.students_reached,
    "share": lambda r: r.share if r.share is not None else -1,
    "hours": lambda r: r.hours,
}


PER_PAGE = 50


@dataclass
class ListPage(PagerMixin):
    """The slice of an in-memory list the pager macro shows."""

    items: list
    page: int
    pages: int
    total: int


def paginate_list(rows, page, per_page):
    pages = max(1, math.ceil(len(rows) / per_page))
    page = min(max(page, 1), pages)
    return ListPage(rows[(page - 1) * per_page : page * per_page], page, pages, len(rows))


def year_choices():
    current = int(outcomes.current_school_year()[:4])
    return ["%d-%02d" % (y, (y + 1) % 100) for y in range(current, current - 6, -1)]


def _report_args():
    group = request.args.get("group") if request.args.get("group") in outcomes.GROUPS else "school"
    years = year_choices()
    year = request.args.get("year") if request.args.get("year") in years else years[0]
    sort = request.args.get("sort") if request.args.get("sort") in SORTS else "name"
    descending = request.args.get("dir") == "desc"
    rows = sorted(outcomes.report(group, year), key=SORTS[sort], reverse=descending)
    return group, year, years, sort, descending, rows


@bp.route("")
@policy.requires(policy.is_specialist)
def report():
    page = page_number()
    with replica.reads():
        return _report_page(page)


def _report_page(page):
    group, year, years, sort, descending, rows = _report_args()
    return render_template(
        "outcomes/report.html",
        pagination=paginate_list(rows, page, PER_PAGE),
        group=group,
        year=year,
        years=years,
        sort=sort,
        descending=descending,
        kinds=CREDENTIAL_KINDS,
    )


@bp.route("/export.csv")
@policy.requires(policy.is_specialist)
def export_csv():
    with replica.reads():
        group, year, _years, _sort, _descending, rows = _report_args()
        return csv_download("outcomes-%s-%s.csv" % (group, year), *outcomes.csv_rows(rows))


@bp.route("/credentials")
@policy.requires(policy.is_specialist)
def credential_queue():
    page = page_number()
    pagination = page_of(credentials.claimed(), page, current_app.config["PAGE_SIZE"])
    page = render_template("outcomes/credentials.html", pagination=pagination, form=ActionForm())
    audit.log_student_access(current_user, [c.student for c in pagination.items], request.full_path.rstrip("?"))
    return page


@bp.route("/credentials/<int:credential_id>/<any(confirm, reject):decision>", methods=["POST"])
@policy.requires(policy.is_specialist)
def credential_decide(credential_id, decision):
    credential = db.get_or_404(Credential, credential_id)
    if ActionForm().validate_on_submit():
        done = _("Credential confirmed.") if decision == "confirm" else _("Credential rejected.")
        run(outcomes.confirm_credential, current_user, credential, decision == "confirm", success=done)
    return redirect(url_for("outcomes.credential_queue"))


def _application_label(application):
    # Partners see a first name, grade and school: never a student's contact details, and only
    # once the consent the district requires is on record (the one rule, in policy).
    if not policy.can_see_application_details(current_user, application):
        return "%s · %s" % (application.opportunity.title, _("Waiting for consent"))
    student = application.student
    first = (student.name or "").split(" ")[0] or _("Student")
    return "%s · %s · %s" % (application.opportunity.title, first, _("grade %(grade)s", grade=student.grade))


def _record_credential(form):
    """Record the credential the form describes; a true value when it was, else the form says why."""
    application = db.session.get(Application, form.application_id.data)
    try:
        credentials.record_credential(
            current_user,
            application,
            form.kind.data,
            form.name.data,
            form.credits.data,
            form.earned_on.data,
            form.evidence.data,
        )
    except ServiceError as error:
        form.application_id.errors.append(str(error))
        return False
    return True


@bp.route("/credentials/new", methods=["GET", "POST"])
@policy.requires(policy.is_partner_staff)
def credential_new():
    form = CredentialForm()
    applications = db.session.scalars(credentials.completed_applications(current_user).limit(500)).all()
    form.application_id.choices = options(
        [(0, _("Choose an application"))] + [(a.id, _application_label(a)) for a in applications]
    )
    if form.validate_on_submit() and _record_credential(form):
        flash(_("Credential recorded. A partnership specialist will confirm it."), "success")
        return redirect(url_for("partners.dashboard"))
    return render_template(
        "outcomes/credential_form.html", form=form, has_applications=bool(applications)
    ), 400 if form.errors else 200


@bp.route("/survey/applications/<int:application_id>", methods=["GET", "POST"])
@policy.signed_in
def application_survey(application_id):
    return _survey(
        db.get_or_404(Application, application_id),
        url_for("outcomes.application_survey", application_id=application_id),
    )


@bp.route("/survey/visits/<int:visit_id>", methods=["GET", "POST"])
@policy.signed_in
def visit_survey(visit_id):
    return _survey(db.get_or_404(VisitRequest, visit_id), url_for("outcomes.visit_survey", visit_id=visit_id))


def _survey(experience, action):
    if policy.survey_role(current_user, experience) is None:
        abort(403)
    form = FeedbackForm()
    if form.validate_on_submit():
        run(
            feedback.submit,
            current_user,
            experience,
            form.ratings(),
            form.comment.data or "",
            success=_("Thank you for your feedback."),
        )
        return redirect(url_for("notifications.notification_list"))
    title = experience.opportunity.title if isinstance(experience, Application) else experience.topic
    return render_template(
        "outcomes/survey.html", form=form, title=title, action=action, completed=experience.state == "completed"
    ), 200 if not form.errors else 400
