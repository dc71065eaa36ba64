"""The privacy notice and inventory, a student's own records, a parent's copy, the specialists'
request queue and the privacy officer's incidents (docs/privacy.md)."""

import os
from datetime import UTC, datetime, time

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from cpspartners import policy, web
from cpspartners.extensions import db
from cpspartners.mail import send_email
from cpspartners.models import FamilyLink, Incident, RightsRequest, User
from cpspartners.privacy import export, inventory, notices
from cpspartners.privacy.forms import (
    CloseAccountForm,
    CorrectionForm,
    FamilyLinkForm,
    IncidentForm,
    ParentRequestForm,
    StepForm,
)
from cpspartners.services import privacy
from cpspartners.services.errors import RuleBroken
from cpspartners.taxonomy import RIGHTS_KIND_LABELS, RIGHTS_STATE_LABELS

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
FAMILY_SALT = "privacy-family-copy"

LABELS = {
    "rights_kind_label": RIGHTS_KIND_LABELS,
    "rights_state_label": RIGHTS_STATE_LABELS,
    "rights_step_label": {
        "decide": _l("Accept the correction"),
        "correct": _l("Make the correction"),
        "deny": _l("Deny"),
        "confirm": _l("The family was told"),
        "fulfil": _l("Carry out"),
    },
    "family_state_label": {
        "pending": _l("Waiting for the school"),
        "confirmed": _l("Confirmed"),
        "revoked": _l("Removed"),
    },
    "at_deletion_label": inventory.AT_DELETION_LABELS,
}


def _lookup(table):
    return lambda code: table.get(code, code)


@bp.context_processor
def labels():
    """Code-to-words helpers for the privacy templates, and the time a copy is made."""
    helpers = {name: _lookup(table) for name, table in LABELS.items()}
    return {**helpers, "now_utc": lambda: datetime.now(UTC)}


@bp.route("")
def notice():
    return render_template("privacy/notice.html", services=inventory.SERVICES, reviewed=inventory.LAST_REVIEWED)


@bp.route("/data")
def data():
    return render_template("privacy/data.html", tables=inventory.TABLES, labels=inventory.AT_DELETION_LABELS)


# --- A student's own records --------------------------------------------------------------------


def _mine_page(status=200, correction=None, family=None):
    requests = db.session.scalars(
        select(RightsRequest).where(RightsRequest.student_id == current_user.id).order_by(RightsRequest.id.desc())
    ).all()
    links = db.session.scalars(select(FamilyLink).where(FamilyLink.student_id == current_user.id)).all()
    return (
        render_template(
            "privacy/mine.html",
            requests=requests,
            links=links,
            correction=correction or CorrectionForm(),
            family=family or FamilyLinkForm(),
        ),
        status,
    )


@bp.route("/mine")
@policy.requires(policy.can_use_own_privacy)
def mine():
    return _mine_page()


@bp.route("/mine/copy")
@policy.requires(policy.can_use_own_privacy)
def copy_html():
    return render_template("privacy/copy.html", student=current_user, sections=export.build(current_user))


@bp.route("/mine/copy.json")
@policy.requires(policy.can_use_own_privacy)
def copy_json():
    return _json_download(current_user)


def _json_download(student):
    body = export.as_json(student, str(get_locale()))
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=my-records.json"},
    )


@bp.route("/mine/corrections", methods=["POST"])
@policy.requires(policy.can_use_own_privacy)
def ask_correction():
    form = CorrectionForm()
    if not form.validate_on_submit():
        return _mine_page(400, correction=form)
    if web.run(
        privacy.open_request,
        current_user,
        "correction",
        field=form.field.data,
        value=form.value.data,
        success=_("Your correction request was received. A specialist answers within 90 days."),
    ):
        return redirect(url_for("privacy.mine"))
    return _mine_page(400, correction=form)


@bp.route("/mine/family", methods=["POST"])
@policy.requires(policy.can_use_own_privacy)
def add_family():
    form = FamilyLinkForm()
    if not form.validate_on_submit():
        return _mine_page(400, family=form)
    if web.run(
        privacy.add_family_link,
        current_user,
        form.email.data,
        form.language.data,
        success=_("Added. Your school checks it before your parent can ask for your records."),
    ):
        return redirect(url_for("privacy.mine"))
    return _mine_page(400, family=form)


@bp.route("/mine/close", methods=["GET", "POST"])
@policy.requires(policy.can_use_own_privacy)
def close():
    form = CloseAccountForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("privacy/close.html", form=form, tables=inventory.TABLES), 400
        student = current_user._get_current_object()
        logout_user()
        privacy.close_account(student, folder=privacy.export_dir())
        flash(_("Your account and your records were deleted."), "success")
        return redirect(url_for("directory.home"))
    return render_template("privacy/close.html", form=form, tables=inventory.TABLES)


# --- A parent's copy, through a confirmed family link --------------------------------------------


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=FAMILY_SALT)


@bp.route("/family", methods=["GET", "POST"])
def family_request():
    form = ParentRequestForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("privacy/family_request.html", form=form), 400
        for link in privacy.confirmed_links(form.email.data):
            _send_family_copy(link)
        # The same answer whether or not the address is linked: nobody learns who is a parent.
        flash(_("If this email is linked to a student, we sent it a link to the student's records."), "success")
        return redirect(url_for("privacy.family_request"))
    return render_template("privacy/family_request.html", form=form)


def _send_family_copy(link):
    try:
        req = privacy.open_request(link.student, "access", requested_by="parent")
    except RuleBroken:
        return
    privacy.fulfil(None, req)
    _keep_copy(link.student, req)
    token = _serializer().dumps({"l": link.id})
    send_email(
        link.parent_email,
        "privacy_family_copy",
        link.parent_language,
        url=url_for("privacy.family_copy", token=token, _external=True),
    )


def _keep_copy(student, req):
    """Keep what was sent as proof (swept after PRIVACY_EXPORT_KEEP_DAYS, removed on erasure)."""
    folder = privacy.export_dir()
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "student-%d-request-%d.json" % (student.id, req.id))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(export.as_json(student, student.preferred_language))


def _link_from(token):
    try:
        data = _serializer().loads(token, max_age=current_app.config["FAMILY_LINK_MAX_AGE"])
    except BadSignature:
        abort(404)
    link = db.session.get(FamilyLink, data.get("l") if isinstance(data, dict) else None)
    if link is None or link.state != "confirmed" or link.student is None:
        abort(404)
    return link


@bp.route("/family/<token>")
def family_copy(token):
    link = _link_from(token)
    return render_template(
        "privacy/copy.html", student=link.student, sections=export.build(link.student), token=token, parent=True
    )


@bp.route("/family/<token>.json")
def family_copy_json(token):
    return _json_download(_link_from(token).student)


# --- Specialists: requests, late ones, family links -----------------------------------------------


@bp.route("/requests")
@policy.requires(policy.can_handle_rights_requests)
def requests_list():
    open_requests = db.session.scalars(
        select(RightsRequest)
        .where(RightsRequest.state.in_(("received", "decided", "corrected", "denied")))
        .order_by(RightsRequest.due_at)
    ).all()
    links = db.session.scalars(select(FamilyLink).where(FamilyLink.state == "pending").order_by(FamilyLink.id)).all()
    late = {r.id for r in privacy.late_requests()}
    return render_template("privacy/requests.html", requests=open_requests, late=late, links=links, form=StepForm())


@bp.route("/requests/<int:request_id>/<any(decide, correct, deny, confirm, fulfil):step>", methods=["POST"])
@policy.requires(policy.can_handle_rights_requests)
def request_step(request_id, step):
    req = db.get_or_404(RightsRequest, request_id)
    form = StepForm()
    if not form.validate_on_submit():
        web.form_errors_flash(form)
        return redirect(url_for("privacy.requests_list"))
    if step == "fulfil":
        web.run(privacy.fulfil, current_user, req, success=_("Done."))
    else:
        web.run(privacy.advance_correction, current_user, req, step, form.note.data or "", success=_("Done."))
    return redirect(url_for("privacy.requests_list"))


@bp.route("/family-links/<int:link_id>/confirm", methods=["POST"])
@policy.requires(policy.can_confirm_family_links)
def confirm_link(link_id):
    link = db.get_or_404(FamilyLink, link_id)
    if StepForm().validate_on_submit():
        web.run(privacy.confirm_family_link, current_user, link, success=_("The parent is confirmed."))
    return redirect(url_for("privacy.requests_list"))


# --- The privacy officer: incidents ------------------------------------------------------------------


def _day(value, end=False):
    """The start (or end) of a day as the district counts it (Chicago time), in UTC."""
    zone = get_timezone()
    moment = datetime.combine(value, time.max if end else time.min)
    local = zone.localize(moment) if hasattr(zone, "localize") else moment.replace(tzinfo=zone)
    return local.astimezone(UTC)


@bp.route("/incidents", methods=["GET", "POST"])
@policy.requires(policy.can_manage_incidents)
def incidents():
    form = IncidentForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            incident = web.run(
                privacy.open_incident,
                current_user,
                form.title.data,
                _day(form.discovered_on.data),
                _day(form.window_start.data),
                _day(form.window_end.data, end=True),
                form.data_involved.data,
                form.operator_name.data or "",
            )
            if incident:
                return redirect(url_for("privacy.incident", incident_id=incident.id))
        status = 400
    rows = db.session.scalars(select(Incident).order_by(Incident.id.desc())).all()
    return render_template("privacy/incidents.html", incidents=rows, form=form), status


@bp.route("/incidents/<int:incident_id>")
@policy.requires(policy.can_manage_incidents)
def incident(incident_id):
    record = db.get_or_404(Incident, incident_id)
    students = privacy.affected_students(record)
    drafts = {code: notices.breach_notice(record, len(students), code) for code in ("en", "es")}
    return render_template("privacy/incident.html", incident=record, students=students, drafts=drafts)


@bp.route("/erase/<int:student_id>", methods=["POST"])
@policy.requires(policy.can_erase_students)
def erase(student_id):
    """The privacy officer erases a student on a deletion request (a request is recorded first)."""
    student = db.get_or_404(User, student_id)
    if not policy.is_student_account(student) or not StepForm().validate_on_submit():
        abort(404)
    req = privacy.open_request(student, "deletion", requested_by="school")
    web.run(privacy.fulfil, current_user, req, success=_("The student's records were deleted."))
    return redirect(url_for("privacy.requests_list"))
