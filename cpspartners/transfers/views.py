"""CSV downloads of the specialists' lists (partners, opportunities, needs verification, audit log).

The downloads read the read replica when one is set (``replica.reads``); the imports, which
write, stay on the primary."""

import os

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from cpspartners import jobs, policy, replica
from cpspartners.extensions import db
from cpspartners.models import ImportRun
from cpspartners.review.views import audit_filters
from cpspartners.services import exports, imports, upkeep
from cpspartners.text import small_int
from cpspartners.transfers import checks, uploads
from cpspartners.transfers.forms import ImportCommitForm, ImportForm
from cpspartners.web import csv_download

bp = Blueprint("transfers", __name__, url_prefix="/transfers")


@bp.url_value_preprocessor
def larger_import_uploads(endpoint, _values):
    """The import page takes files of 100,000 rows; every other page keeps MAX_CONTENT_LENGTH.

    Set here because URL preprocessors run before the CSRF check reads the body."""
    if endpoint == "transfers.import_upload":
        request.max_content_length = current_app.config["IMPORT_MAX_BYTES"]


@bp.route("/partners.csv")
@policy.requires(policy.is_specialist)
def partners_csv():
    with replica.reads():
        return csv_download("partners.csv", *exports.partners_csv())


@bp.route("/opportunities.csv")
@policy.requires(policy.is_specialist)
def opportunities_csv():
    with replica.reads():
        return csv_download("opportunities.csv", *exports.opportunities_csv())


@bp.route("/needs-verification.csv")
@policy.requires(policy.is_specialist)
def needs_verification_csv():
    days = small_int(request.args.get("days", ""), 1, 3650) or current_app.config["VERIFY_AFTER_DAYS"]
    with replica.reads():
        return csv_download("needs-verification.csv", *exports.needs_verification_csv(upkeep.needs_verification(days)))


@bp.route("/audit.csv")
@policy.requires(policy.can_view_audit)
def audit_csv():
    stmt, _selected = audit_filters(request.args)
    with replica.reads():
        return csv_download("audit-log.csv", *exports.audit_csv(stmt))


def upload_dir():
    return current_app.config.get("IMPORT_UPLOAD_DIR") or os.path.join(current_app.instance_path, "imports")


@bp.route("/import", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def import_upload():
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("transfers/import.html", form=form), 400 if form.errors else 200
    raw = form.file.data.read()
    form.file.data.close()  # a large upload is a temporary file: let it go now
    what, filename = form.what.data, (form.file.data.filename or "")[:255]
    base, user_id = upload_dir(), current_user.id
    token = uploads.save(base, user_id, raw)
    if len(raw) > current_app.config["IMPORT_CHECK_INLINE_BYTES"]:
        # A large file is checked in the background (tens of seconds at 100,000 rows): the person
        # gets the check page at once, and it shows the report when the check is done.
        checks.begin(base, user_id, token, what, filename)
        jobs.later(jobs.check_import, user_id, token, what, filename, base, str(get_locale()), timeout=3600)
        return redirect(url_for("transfers.import_check", token=token))
    report = checks.Report(checks.check(base, user_id, token, what, filename))
    if report.state == "unreadable":
        uploads.discard(base, user_id, token)
        return render_template("transfers/import.html", form=form, file_error=report.error), 400
    return render_report(report, token)


@bp.route("/import/check/<token>")
@policy.requires(policy.is_specialist)
def import_check(token):
    data = uploads.load_report(upload_dir(), current_user.id, token)
    if data is None:  # malformed, someone else's, or swept
        abort(404)
    report = checks.Report(data)
    if report.state in ("checking", "stalled"):
        return render_template("transfers/import_checking.html", report=report, token=token)
    return render_report(report, token)


def render_report(report, token):
    status = 400 if report.state == "unreadable" else 200
    return render_template(
        "transfers/import_report.html",
        plan=report,
        filename=report.filename,
        shown=report.rows,
        commit_form=ImportCommitForm(what=report.what, token=token if report.ok else None, filename=report.filename),
    ), status


@bp.route("/import/commit", methods=["POST"])
@policy.requires(policy.is_specialist)
def import_commit():
    form = ImportCommitForm()
    what = form.what.data if form.what.data in imports.SPECS else None
    token = form.token.data if form.validate_on_submit() and uploads.TOKEN.match(form.token.data or "") else None
    done = imports.find_run(token) if token and what else None
    if done is not None and done.actor_id == current_user.id:
        return redirect(url_for("transfers.import_run", run_id=done.id))  # posted twice: applied once
    if done is not None or not token or not what or uploads.load(upload_dir(), current_user.id, token) is None:
        flash(_("That import is no longer available. Upload the file again."), "error")
        return redirect(url_for("transfers.import_upload"))
    run, fresh = imports.start(current_user, what, token, form.filename.data or "")
    if fresh:
        # On the worker when one runs, else in this process after the answer is sent: either way
        # the run's page shows the progress.
        jobs.later(jobs.run_import, run.id, upload_dir(), timeout=3600)
    return redirect(url_for("transfers.import_run", run_id=run.id))


@bp.route("/import/runs/<int:run_id>")
@policy.requires(policy.is_specialist)
def import_run(run_id):
    run = db.get_or_404(ImportRun, run_id)
    return render_template("transfers/import_run.html", run=run, running=run.state in ("queued", "running"))


@bp.route("/import/template-<any(partners, opportunities):what>.csv")
@policy.requires(policy.is_specialist)
def import_template(what):
    _model, columns = imports.SPECS[what]
    return csv_download("%s-template.csv" % what, [c.name for c in columns], [])
