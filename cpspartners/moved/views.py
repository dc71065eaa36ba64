"""The table of moved pages and the one view that redirects them (301, query string kept)."""

from flask import Blueprint, redirect, request, url_for

bp = Blueprint("moved", __name__)

# (old rule, endpoint that serves it now); the old rule's arguments are the new one's.
MOVED = (
    ("/feedback/applications/<int:application_id>", "outcomes.application_survey"),
    ("/feedback/requests/<int:visit_id>", "outcomes.visit_survey"),
    ("/insights/equity", "equity.dashboard"),
    ("/insights/equity.csv", "equity.export_csv"),
    ("/me/applications", "applications.mine"),
    ("/newsletter/confirm/<token>", "newsletters.subscribe_confirm"),
    ("/newsletter/subscribe", "newsletters.subscribe"),
    ("/newsletter/unsubscribe/<token>", "newsletters.unsubscribe"),
    ("/partner/applications", "applications.received"),
    ("/partner/credentials/new", "outcomes.credential_new"),
    ("/partner/requests", "visits.received"),
    ("/partner/scorecards", "outcomes.partner_scorecards"),
    ("/partner/seats", "pools.distributor_seats"),
    ("/requests/<int:visit_id>", "visits.detail"),
    ("/requests/<int:visit_id>/visit.ics", "calendars.visit_calendar"),
    ("/schools/<int:school_id>/calendar.ics", "calendars.school_calendar"),
    ("/specialist", "review.queue"),
    ("/specialist/audit", "review.audit_log"),
    ("/specialist/audit.csv", "transfers.audit_csv"),
    ("/specialist/credentials", "outcomes.credential_queue"),
    ("/specialist/feedback", "outcomes.feedback_list"),
    ("/specialist/feedback.csv", "outcomes.feedback_csv"),
    ("/specialist/import", "transfers.import_upload"),
    ("/specialist/import/template-<any(partners, opportunities):what>.csv", "transfers.import_template"),
    ("/specialist/needs-verification", "review.needs_verification"),
    ("/specialist/needs-verification.csv", "transfers.needs_verification_csv"),
    ("/specialist/newsletters", "newsletters.newsletter_list"),
    ("/specialist/newsletters/<int:newsletter_id>", "newsletters.edit"),
    ("/specialist/newsletters/<int:newsletter_id>.<any(html, txt):fmt>", "newsletters.download"),
    ("/specialist/newsletters/<int:newsletter_id>/preview", "newsletters.preview"),
    ("/specialist/newsletters/new", "newsletters.new"),
    ("/specialist/opportunities.csv", "transfers.opportunities_csv"),
    ("/specialist/opportunities/<int:opp_id>", "review.opportunity_detail"),
    ("/specialist/opportunities/<int:opp_id>/edit", "review.edit_opportunity"),
    ("/specialist/outcomes", "outcomes.report"),
    ("/specialist/outcomes.csv", "outcomes.export_csv"),
    ("/specialist/partners", "review.partner_list"),
    ("/specialist/partners.csv", "transfers.partners_csv"),
    ("/specialist/partners/<int:partner_id>", "review.partner_detail"),
    ("/specialist/partners/<int:partner_id>/edit", "review.edit_partner"),
    ("/specialist/partners/<int:partner_id>/vetting/new", "review.new_vetting"),
    ("/specialist/pools", "pools.pool_list"),
    ("/specialist/pools.csv", "pools.export_csv"),
    ("/specialist/pools/<int:pool_id>", "pools.pool_detail"),
    ("/specialist/pools/new", "pools.pool_new"),
    ("/specialist/requests", "visits.flagged"),
    ("/specialist/requests/<int:change_id>", "review.review"),
    ("/specialist/vetting/<int:record_id>/edit", "review.edit_vetting"),
    ("/teacher/find", "visits.find"),
    ("/teacher/requests", "visits.mine"),
    ("/teacher/requests/new", "visits.new_request"),
)


def _redirect_to(endpoint):
    def view(**values):
        target = url_for(endpoint, **values)
        if request.query_string:
            target += "?" + request.query_string.decode("latin-1")
        return redirect(target, 301)

    return view


for number, (old_rule, endpoint) in enumerate(MOVED):
    bp.add_url_rule(old_rule, "old_%d" % number, _redirect_to(endpoint), methods=["GET"])
