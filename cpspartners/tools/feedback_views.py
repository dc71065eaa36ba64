"""Feedback: specialists read every response (filters, CSV); partner staff see only the
scorecard summaries of their own organization and listings."""

from flask import current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from cpspartners import policy
from cpspartners.directory.filters import Filters, parse_page
from cpspartners.directory.queries import page_of
from cpspartners.extensions import db
from cpspartners.models import Feedback, Opportunity, Partner
from cpspartners.models.outcomes import RESPONDENT_ROLES, RUBRIC
from cpspartners.services import exports, feedback
from cpspartners.text import small_int
from cpspartners.tools import bp
from cpspartners.tools.common import csv_download


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


@bp.route("/specialist/feedback")
@policy.requires(policy.is_specialist)
def feedback_list():
    stmt, selected = _filtered()
    page = parse_page(request.args, Filters(), current_app.config["MAX_PAGE"])
    partners = db.session.execute(
        select(Partner.id, Partner.name)
        .where(Partner.id.in_(select(Feedback.partner_id).distinct()))
        .order_by(Partner.name)
    ).all()
    return render_template(
        "tools/feedback.html",
        pagination=page_of(stmt, page, current_app.config["PAGE_SIZE"]),
        selected=selected,
        partners=partners,
        roles=RESPONDENT_ROLES,
        rubric=RUBRIC,
        card=feedback.scorecard(partner_id=selected["partner"] or None, opportunity_id=selected["opportunity"] or None),
    )


@bp.route("/specialist/feedback.csv")
@policy.requires(policy.is_specialist)
def feedback_csv():
    stmt, _selected = _filtered()
    return csv_download("feedback-responses.csv", *exports.feedback_csv(stmt))


@bp.route("/partner/scorecards")
@policy.requires(policy.is_partner_staff)
def partner_scorecards():
    partner = current_user.partner
    listings = db.session.scalars(
        select(Opportunity)
        .where(Opportunity.partner_id == partner.id, Opportunity.id.in_(select(Feedback.opportunity_id).distinct()))
        .order_by(Opportunity.title)
    ).all()
    return render_template(
        "tools/scorecards.html",
        partner=partner,
        rubric=RUBRIC,
        overall=feedback.scorecard(partner_id=partner.id),
        cards=[(opp, feedback.scorecard(opportunity_id=opp.id)) for opp in listings],
    )
