"""Outcome reports (by school, network or community area), the credentials queue, and partner
staff recording a credential."""

import math
from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cpspartners import policy
from cpspartners.directory.filters import Filters, parse_page
from cpspartners.directory.queries import page_of
from cpspartners.extensions import db
from cpspartners.formtools import options
from cpspartners.models import Application, Credential
from cpspartners.models.outcomes import CREDENTIAL_KINDS
from cpspartners.paging import PagerMixin
from cpspartners.services import ServiceError, credentials, outcomes
from cpspartners.tools import bp
from cpspartners.tools.common import csv_download, get_or_404
from cpspartners.tools.forms import ActionForm, CredentialForm

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


@bp.route("/specialist/outcomes")
@policy.requires(policy.is_specialist)
def outcomes_report():
    group, year, years, sort, descending, rows = _report_args()
    page = parse_page(request.args, Filters(), current_app.config["MAX_PAGE"])
    return render_template(
        "tools/outcomes.html",
        pagination=paginate_list(rows, page, PER_PAGE),
        group=group,
        year=year,
        years=years,
        sort=sort,
        descending=descending,
        kinds=CREDENTIAL_KINDS,
    )


@bp.route("/specialist/outcomes.csv")
@policy.requires(policy.is_specialist)
def outcomes_csv():
    group, year, _years, _sort, _descending, rows = _report_args()
    return csv_download("outcomes-%s-%s.csv" % (group, year), *outcomes.csv_rows(rows))


@bp.route("/specialist/credentials")
@policy.requires(policy.is_specialist)
def credential_queue():
    page = parse_page(request.args, Filters(), current_app.config["MAX_PAGE"])
    pagination = page_of(credentials.claimed(), page, current_app.config["PAGE_SIZE"])
    return render_template("tools/credentials.html", pagination=pagination, form=ActionForm())


@bp.route("/specialist/credentials/<int:credential_id>/<any(confirm, reject):decision>", methods=["POST"])
@policy.requires(policy.is_specialist)
def credential_decide(credential_id, decision):
    credential = get_or_404(Credential, credential_id)
    if ActionForm().validate_on_submit():
        try:
            outcomes.confirm_credential(current_user, credential, decision == "confirm")
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Credential confirmed.") if decision == "confirm" else _("Credential rejected."), "success")
    return redirect(url_for("tools.credential_queue"))


def _application_label(application):
    # Partners see a first name, grade and school: never a student's contact details.
    student = application.student
    first = (student.name or "").split(" ")[0] or _("Student")
    return "%s · %s · %s" % (application.opportunity.title, first, _("grade %(grade)s", grade=student.grade))


@bp.route("/partner/credentials/new", methods=["GET", "POST"])
@policy.requires(policy.is_partner_staff)
def credential_new():
    form = CredentialForm()
    applications = db.session.scalars(credentials.completed_applications(current_user).limit(500)).all()
    form.application_id.choices = options(
        [(0, _("Choose an application"))] + [(a.id, _application_label(a)) for a in applications]
    )
    if form.validate_on_submit():
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
        else:
            flash(_("Credential recorded. A partnership specialist will confirm it."), "success")
            return redirect(url_for("partners.dashboard"))
    return render_template(
        "tools/credential_form.html", form=form, has_applications=bool(applications)
    ), 400 if form.errors else 200
