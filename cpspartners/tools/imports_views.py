"""CSV import: upload, a dry run row by row, then "import these rows" all or nothing."""

import os

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cpspartners import policy
from cpspartners.services import imports
from cpspartners.toolkit.spreadsheets import ImportFileError
from cpspartners.tools import bp, uploads
from cpspartners.tools.common import csv_download
from cpspartners.tools.forms import ImportCommitForm, ImportForm

SHOWN = 1000


def upload_dir():
    return current_app.config.get("IMPORT_UPLOAD_DIR") or os.path.join(current_app.instance_path, "imports")


@bp.route("/specialist/import", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def import_upload():
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("tools/import.html", form=form), 400 if form.errors else 200
    raw = form.file.data.read()
    try:
        planned = imports.plan(form.what.data, raw)
    except ImportFileError as error:
        return render_template("tools/import.html", form=form, file_error=str(error)), 400
    token = uploads.save(upload_dir(), current_user.id, raw) if planned.ok else None
    # Rejections first; a 100,000-row file shows its first thousand changes, the counts cover all.
    shown = sorted((r for r in planned.rows if r.action != "unchanged"), key=lambda r: r.action != "reject")[:SHOWN]
    return render_template(
        "tools/import_report.html",
        plan=planned,
        filename=form.file.data.filename,
        shown=shown,
        commit_form=ImportCommitForm(what=form.what.data, token=token),
    )


@bp.route("/specialist/import/commit", methods=["POST"])
@policy.requires(policy.is_specialist)
def import_commit():
    form = ImportCommitForm()
    what = form.what.data if form.what.data in imports.SPECS else None
    raw = uploads.load(upload_dir(), current_user.id, form.token.data) if what else None
    if not form.validate_on_submit() or raw is None:
        flash(_("That import is no longer available. Upload the file again."), "error")
        return redirect(url_for("tools.import_upload"))
    try:
        # The dry run again, on the stored file: the directory may have changed since.
        planned = imports.plan(what, raw)
        counts = imports.apply(planned)
    except (ImportFileError, ValueError):
        flash(_("Nothing was imported: the file no longer passes the checks. Upload it again to see why."), "error")
        return redirect(url_for("tools.import_upload"))
    uploads.discard(upload_dir(), current_user.id, form.token.data)
    flash(_("Imported: %(create)d created, %(update)d updated, %(unchanged)d unchanged.", **counts), "success")
    return redirect(url_for("tools.import_upload"))


@bp.route("/specialist/import/template-<any(partners, opportunities):what>.csv")
@policy.requires(policy.is_specialist)
def import_template(what):
    _model, columns = imports.SPECS[what]
    return csv_download("%s-template.csv" % what, [c.name for c in columns], [])
