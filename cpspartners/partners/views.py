"""Partner staff look after their own organization and its opportunities.

Nothing here changes what the public sees: every save becomes a change request for a
partnership specialist to review (``services.listings``).
"""

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formtools import options
from cpspartners.models import ChangeRequest, Opportunity, Place
from cpspartners.models.queries import area_choices, page_of
from cpspartners.partners.forms import OpportunityForm, PartnerForm, form_data_from
from cpspartners.services import ServiceError, feedback, listings, vetting
from cpspartners.taxonomy import PLACE_KINDS, label
from cpspartners.web import page_number

bp = Blueprint("partners", __name__, url_prefix="/partner")


def area_options():
    """The community-area menu, with a first entry that asks for a choice."""
    return options([(0, _("Choose a community area"))] + list(area_choices()))


def place_options():
    """The learning-place menu: none, then each place by name with its kind and area."""
    rows = db.session.scalars(
        select(Place).options(selectinload(Place.community_area)).order_by(Place.name, Place.id)
    ).all()
    return options([(0, _("Not at one of these places"))] + [(p.id, _place_label(p)) for p in rows])


def _place_label(place):
    area = place.community_area.name if place.community_area else ""
    return ", ".join(str(part) for part in (place.name, label(PLACE_KINDS, place.kind), area) if part)


def _requests_by_subject(subject_type, ids):
    if not ids:
        return {}
    rows = db.session.scalars(
        select(ChangeRequest)
        .where(ChangeRequest.subject_type == subject_type, ChangeRequest.subject_id.in_(ids))
        .order_by(ChangeRequest.submitted_at)
    )
    return {row.subject_id: row for row in rows}  # the latest per subject wins


@bp.route("")
@policy.requires(policy.is_partner_staff)
def dashboard():
    partner = current_user.partner
    page = page_number()
    stmt = (
        select(Opportunity)
        .where(Opportunity.partner_id == partner.id)
        .order_by(Opportunity.updated_at.desc(), Opportunity.id.desc())
    )
    pagination = page_of(stmt, page, current_app.config["PAGE_SIZE"])
    opportunities = pagination.items
    return render_template(
        "partners/dashboard.html",
        partner=partner,
        opportunities=opportunities,
        pagination=pagination,
        partner_request=_requests_by_subject("partner", [partner.id]).get(partner.id),
        requests=_requests_by_subject("opportunity", [o.id for o in opportunities]),
        missing=listings.missing_vetting(partner),
        hidden_from_students=vetting.hidden_from_students,
        scorecard=feedback.scorecard(partner_id=partner.id),
    )


def _send_for_review(submit, subject, form, template, **page):
    """Send an edit for a specialist's review with ``submit`` and say what happened to it; a
    stale form comes back (409) with what changed since it was opened and the person's input."""
    seen = form.seen()
    try:
        submit(current_user, subject, form.values(), seen=seen)
    except listings.Stale as error:
        form = form.after_stale(error)
        form.community_area_number.choices = area_options()
        return render_template(template, form=form, stale=error, **page), 409
    except ServiceError as error:
        flash(str(error), "info")
    else:
        if seen.request:
            flash(
                _(
                    "You updated your request waiting for review; the specialist sees the new version. "
                    "The public page keeps the approved version until a specialist approves it."
                ),
                "success",
            )
        else:
            flash(
                _(
                    "Thank you. Your changes were sent for review; the public page keeps the approved "
                    "version until a specialist approves them."
                ),
                "success",
            )
    return None


@bp.route("/profile", methods=["GET", "POST"])
@policy.requires(policy.is_partner_staff)
def edit_profile():
    partner = current_user.partner
    policy.authorize(policy.can_edit_partner(current_user, partner))
    pending = listings.open_request("partner", partner.id)
    current = pending.proposed if pending else listings.snapshot(partner)
    form = PartnerForm(data=None if request.method == "POST" else form_data_from(current))
    if request.method == "GET":
        form.stamp(partner.version, current, listings.request_token(pending))
    form.community_area_number.choices = area_options()
    page = {"partner": partner, "pending": pending}
    if form.validate_on_submit():
        refused = _send_for_review(listings.submit_partner_change, partner, form, "partners/profile_form.html", **page)
        return refused or redirect(url_for("partners.dashboard"))
    return render_template("partners/profile_form.html", form=form, **page), 200 if not form.errors else 400


def _opportunity_form(opp=None, pending=None):
    """The listing form: a new one, or an edit starting from the open request or the live row."""
    values = None if opp is None else pending.proposed if pending else listings.snapshot(opp)
    form = OpportunityForm(data=None if request.method == "POST" or values is None else form_data_from(values))
    if opp is None:
        del form.version  # nothing to be stale against yet
    elif request.method == "GET":
        form.stamp(opp.version, values, listings.request_token(pending))
    form.community_area_number.choices = area_options()
    form.place_id.choices = place_options()
    return form


@bp.route("/opportunities/new", methods=["GET", "POST"])
@policy.requires(policy.is_partner_staff)
def new_opportunity():
    form = _opportunity_form()
    if form.validate_on_submit():
        listings.create_opportunity(current_user, current_user.partner, form.values())
        flash(
            _("Thank you. Your new listing was sent for review; it becomes public once a specialist approves it."),
            "success",
        )
        return redirect(url_for("partners.dashboard"))
    return render_template(
        "partners/opportunity_form.html", form=form, opp=None, pending=None
    ), 200 if not form.errors else 400


@bp.route("/opportunities/<int:opp_id>/edit", methods=["GET", "POST"])
@policy.signed_in
def edit_opportunity(opp_id):
    opp = db.get_or_404(Opportunity, opp_id)
    policy.authorize(policy.can_edit_opportunity(current_user, opp))
    pending = listings.open_request("opportunity", opp.id)
    form = _opportunity_form(opp, pending)
    page = {"opp": opp, "pending": pending}
    if form.validate_on_submit():
        submit = listings.submit_opportunity_change
        refused = _send_for_review(submit, opp, form, "partners/opportunity_form.html", **page)
        return refused or redirect(
            url_for("partners.dashboard") if policy.is_partner_staff(current_user) else url_for("review.queue")
        )
    return render_template("partners/opportunity_form.html", form=form, **page), 200 if not form.errors else 400
