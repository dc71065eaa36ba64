"""Learning licences for families: the request (no account, a confirmed email), the
distributor's answers, the holder's own page, and the specialists' report."""

from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cpspartners import policy
from cpspartners.extensions import db, limiter
from cpspartners.formtools import ActionForm, options
from cpspartners.licences.forms import LicenceRequestForm
from cpspartners.models import CommunityArea, LicenceRequest
from cpspartners.services import licences
from cpspartners.web import run

bp = Blueprint("licences", __name__, url_prefix="/licences")


def _request_form():
    form = LicenceRequestForm()
    form.allocation_id.choices = options(
        [(0, _("Choose an organization"))]
        + [(a.id, "%s \u2014 %s" % (a.distributor.name, a.pool.name)) for a in licences.open_allocations()]
    )
    areas = db.session.execute(select(CommunityArea.number, CommunityArea.name).order_by(CommunityArea.name)).all()
    form.area.choices = options([(0, _("I would rather not say"))] + [tuple(row) for row in areas])
    return form


@bp.route("", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"])
def ask():
    form = _request_form()
    if form.validate_on_submit():
        done = run(
            licences.request_licence,
            form.allocation_id.data,
            form.name.data,
            form.email.data,
            form.language.data,
            form.area.data or None,
        )
        if done:
            return render_template("licences/sent.html")
    status = 400 if form.errors or form.is_submitted() else 200
    return render_template("licences/ask.html", form=form, has_choices=len(form.allocation_id.choices) > 1), status


@bp.route("/confirm/<token>")
def confirm(token):
    req = licences.confirm(token)
    return render_template("licences/confirmed.html", req=req), 200 if req else 400


@bp.route("/mine/<token>")
def holder(token):
    req = licences.from_holder_token(token) or abort(404)
    seat = licences.seat_of(req)
    return render_template(
        "licences/holder.html",
        req=req,
        seat=seat,
        waiting=licences.waiting_entry(req) if seat is None else None,
        renew_from=licences.renewable_from(seat) if seat else None,
        renewable_now=seat is not None and licences.renewable_from(seat) <= date.today(),
        token=token,
        form=ActionForm(),
    )


@bp.route("/mine/<token>/renew", methods=["POST"])
def renew(token):
    req = licences.from_holder_token(token) or abort(404)
    form = ActionForm()
    if form.validate_on_submit():
        run(licences.renew_by_holder, req, success=_("Your licence is renewed."))
    return redirect(url_for("licences.holder", token=token))


@bp.route("/manage")
@policy.requires(policy.can_answer_licence_requests)
def manage():
    return render_template("licences/manage.html", requests=licences.requests_for(current_user), form=ActionForm())


@bp.route("/manage/<int:request_id>/<any(grant, decline):how>", methods=["POST"])
@policy.requires(policy.can_answer_licence_requests)
def answer(request_id, how):
    req = db.session.get(LicenceRequest, request_id) or abort(404)
    policy.authorize(policy.can_distribute_seats(current_user, req.allocation))
    if ActionForm().validate_on_submit():
        action = licences.grant if how == "grant" else licences.decline
        message = _("Answer saved; the family is told by email.") if how == "grant" else _("Request declined.")
        run(action, current_user, request_id, success=message)
    return redirect(url_for("licences.manage"))


@bp.route("/report")
@policy.requires(policy.can_see_licence_report)
def report():
    return render_template("licences/report.html", report=licences.report())
