"""A student's record page (printable), the links they make to share it, and the page a link opens.

The shared page shows what the record page shows and nothing more: no email, no contact
details, no pending credentials; it tells search engines to stay away and each opening is audited.
"""

from flask import Blueprint, abort, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm
from cpspartners.models import RecordShare
from cpspartners.records.forms import ShareForm
from cpspartners.services import records
from cpspartners.services._base import utcnow
from cpspartners.web import form_errors_flash, run

bp = Blueprint("records", __name__, url_prefix="/my-record")


def _record_page(form, new_link=None, status=200):
    shares = records.shares_of(current_user)
    now = utcnow()
    return render_template(
        "records/mine.html",
        record=records.record_of(current_user),
        awaiting=records.awaiting_confirmation(current_user),
        semester=records.SEMESTER_CREDITS,
        form=form,
        action_form=ActionForm(),
        shares=[(share, records.is_live(share, now)) for share in shares],
        new_link=new_link,
    ), status


@bp.route("")
@policy.requires(policy.keeps_own_record)
def mine():
    return _record_page(ShareForm())


@bp.route("/links", methods=["POST"])
@policy.requires(policy.keeps_own_record)
def share():
    form = ShareForm()
    if not form.validate_on_submit():
        form_errors_flash(form)
        return _record_page(form, status=400)
    made = run(records.share_record, current_user, form.days.data, form.label.data or "")
    if not made:
        return _record_page(form, status=400)
    _share, token = made
    # Shown once, on this response only: the database keeps only the token's hash.
    link = url_for("records.shared", token=token, _external=True)
    page, status = _record_page(ShareForm(), new_link=link)
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/links/<int:share_id>/stop", methods=["POST"])
@policy.requires(policy.keeps_own_record)
def revoke(share_id):
    share = db.get_or_404(RecordShare, share_id)
    policy.authorize(policy.owns_share(current_user, share))
    if ActionForm().validate_on_submit():
        run(records.revoke_share, current_user, share, success=_("The link is stopped. It opens nothing now."))
    return redirect(url_for("records.mine") + "#links")


@bp.route("/shared/<token>")
def shared(token):
    share = records.open_share(token)
    if share is None:
        abort(404)
    page = render_template(
        "records/shared.html", record=records.record_of(share.student), share=share, semester=records.SEMESTER_CREDITS
    )
    response = make_response(page)
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
