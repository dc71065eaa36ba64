"""Every route × every role × own/other object, with the status each cell must get.

The route list comes from ``app.url_map``: a new route without a row here fails
``test_every_route_is_in_the_matrix``. Cells:

- ``ok``: allowed (200, a redirect that is not to sign-in, or a 400 form-validation page);
- ``login``: anonymous visitors are sent to sign in (302 to /account/sign-in);
- ``403``: signed in without the right.

"Own" objects belong to the partner-staff user's partner (and, for account pages, are staff
accounts); "other" objects belong to another partner (and, for account pages, a student).
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from cpspartners.accounts.auth import make_confirm_token, make_reset_token
from cpspartners.extensions import db
from cpspartners.hsds import ids as hsds_ids
from cpspartners.hsds import vocabulary as hsds_vocabulary
from cpspartners.models import (
    Application,
    ChangeRequest,
    ImportRun,
    Notification,
    Opportunity,
    Partner,
    User,
    VettingRecord,
    VisitRequest,
)
from tests.conftest import csrf_token, sign_in_as

ACTIVE_ROLES = ("student", "teacher", "partner_staff", "specialist", "admin")
# Accounts that act for nobody: waiting for approval (or with it withdrawn), and switched off.
# A pending account is signed in but holds no role's rights; a switched-off one is a visitor.
PENDING = ("pending_teacher", "pending_partner_staff")
DEACTIVATED = tuple(f"deactivated_{role}" for role in ACTIVE_ROLES)
ROLES = ("anonymous", *ACTIVE_ROLES, *PENDING, *DEACTIVATED)
SIGNED_OUT = ("anonymous", *DEACTIVATED)
EVERYONE = dict.fromkeys(ROLES, "ok")
SIGNED_IN = {role: "login" if role in SIGNED_OUT else "ok" for role in ROLES}


def only(*allowed, other=None):
    """Cells for a route limited to ``allowed`` roles; ``other`` overrides cells for other objects.
    Pending accounts get a 403 and switched-off ones are sent to sign in, like visitors."""
    own = {role: ("ok" if role in allowed else "403") for role in ROLES}
    own.update(dict.fromkeys(SIGNED_OUT, "login"))
    return {"own": own, "other": {**own, **(other or {})}}


def same(cells):
    return {"own": cells, "other": cells}


STAFF = ("specialist", "admin")
PARTNER_OR_STAFF = ("partner_staff", "specialist", "admin")
SEEKERS = ("student", "teacher")

# (endpoint, method): (url builder(world, own), cells)
MATRIX = {
    ("directory.home", "GET"): (lambda w, own: "/", same(EVERYONE)),
    ("health.live", "GET"): (lambda w, own: "/health/live", same(EVERYONE)),
    ("health.ready", "GET"): (lambda w, own: "/health/ready", same(EVERYONE)),
    ("directory.opportunity_list", "GET"): (lambda w, own: "/opportunities", same(EVERYONE)),
    ("directory.opportunity_detail", "GET"): (lambda w, own: f"/opportunities/{w.opp(own).slug}", same(EVERYONE)),
    ("directory.partner_list", "GET"): (lambda w, own: "/partners", same(EVERYONE)),
    ("directory.partner_detail", "GET"): (lambda w, own: f"/partners/{w.partner(own).slug}", same(EVERYONE)),
    ("directory.school_list", "GET"): (lambda w, own: "/schools", same(EVERYONE)),
    ("directory.school_suggest", "GET"): (lambda w, own: "/schools/suggest?q=curie", same(EVERYONE)),
    ("directory.school_detail", "GET"): (lambda w, own: f"/schools/{w.school.id}", same(EVERYONE)),
    ("directory.area_list", "GET"): (lambda w, own: "/areas", same(EVERYONE)),
    ("directory.area_detail", "GET"): (lambda w, own: "/areas/31", same(EVERYONE)),
    ("directory.about", "GET"): (lambda w, own: "/about", same(EVERYONE)),
    ("directory.set_language", "GET"): (lambda w, own: "/language/es?next=/", same(EVERYONE)),
    ("search.results", "GET"): (lambda w, own: "/search?q=robotics&kind=workshop", same(EVERYONE)),
    ("search.suggest", "GET"): (lambda w, own: "/search/suggest?q=rob", same(EVERYONE)),
    ("hsds.root", "GET"): (lambda w, own: "/api/hsds/", same(EVERYONE)),
    ("hsds.openapi_document", "GET"): (lambda w, own: "/api/hsds/openapi.json", same(EVERYONE)),
    ("hsds.schema", "GET"): (lambda w, own: "/api/hsds/schemas/compiled/service_list.json", same(EVERYONE)),
    ("hsds.guide", "GET"): (lambda w, own: "/api/hsds/guide", same(EVERYONE)),
    ("hsds.services", "GET"): (lambda w, own: "/api/hsds/services", same(EVERYONE)),
    ("hsds.service_detail", "GET"): (
        lambda w, own: "/api/hsds/services/" + hsds_ids.service(w.opp(own).slug),
        same(EVERYONE),
    ),
    ("hsds.organizations", "GET"): (lambda w, own: "/api/hsds/organizations", same(EVERYONE)),
    ("hsds.organization_detail", "GET"): (
        lambda w, own: "/api/hsds/organizations/" + hsds_ids.organization(w.partner(own).slug),
        same(EVERYONE),
    ),
    ("hsds.service_at_locations", "GET"): (lambda w, own: "/api/hsds/service_at_locations", same(EVERYONE)),
    # The world's listings have no place or school, so no service at a location: a 404 for
    # everyone alike (tests/test_hsds.py fetches real ones).
    ("hsds.service_at_location_detail", "GET"): (
        lambda w, own: "/api/hsds/service_at_locations/" + hsds_ids.service_at_location(w.opp(own).slug, "x"),
        same(dict.fromkeys(EVERYONE, "404")),
    ),
    ("hsds.taxonomies", "GET"): (lambda w, own: "/api/hsds/taxonomies", same(EVERYONE)),
    ("hsds.taxonomy_detail", "GET"): (
        lambda w, own: "/api/hsds/taxonomies/" + hsds_vocabulary.TAXONOMIES[0].id,
        same(EVERYONE),
    ),
    ("hsds.taxonomy_terms", "GET"): (lambda w, own: "/api/hsds/taxonomy_terms", same(EVERYONE)),
    ("hsds.taxonomy_term_detail", "GET"): (
        lambda w, own: "/api/hsds/taxonomy_terms/" + hsds_vocabulary.TAXONOMIES[0].terms[0].id,
        same(EVERYONE),
    ),
    ("calendars.school_calendar", "GET"): (lambda w, own: f"/calendar/schools/{w.school.id}.ics", same(EVERYONE)),
    ("recommendations.recommendations", "GET"): (lambda w, own: "/for-you", only(*SEEKERS)),
    ("recommendations.profile", "GET"): (lambda w, own: "/for-you/profile", only(*SEEKERS)),
    ("recommendations.profile", "POST"): (lambda w, own: "/for-you/profile", only(*SEEKERS)),
    ("recommendations.saved", "GET"): (lambda w, own: "/for-you/saved", only(*SEEKERS)),
    ("recommendations.save", "POST"): (lambda w, own: f"/for-you/saved/{w.opp(own).id}", only(*SEEKERS)),
    ("recommendations.unsave", "POST"): (lambda w, own: f"/for-you/saved/{w.opp(own).id}/remove", only(*SEEKERS)),
    ("recommendations.dismiss", "POST"): (lambda w, own: f"/for-you/not-interested/{w.opp(own).id}", only(*SEEKERS)),
    ("recommendations.undismiss", "POST"): (
        lambda w, own: f"/for-you/not-interested/{w.opp(own).id}/undo",
        only(*SEEKERS),
    ),
    ("equity.dashboard", "GET"): (lambda w, own: "/equity", only(*STAFF)),
    ("equity.export_csv", "GET"): (lambda w, own: "/equity/export.csv", only(*STAFF)),
    ("accounts.sign_in", "GET"): (lambda w, own: "/account/sign-in", same(EVERYONE)),
    ("accounts.sign_in", "POST"): (lambda w, own: "/account/sign-in", same(EVERYONE)),
    ("accounts.sign_out", "POST"): (lambda w, own: "/account/sign-out", same(EVERYONE)),
    ("accounts.register", "GET"): (lambda w, own: "/account/register", same(EVERYONE)),
    ("accounts.register", "POST"): (lambda w, own: "/account/register", same(EVERYONE)),
    # Anyone holding the link may confirm; visitors are then sent on to sign in.
    ("accounts.confirm", "GET"): (
        lambda w, own: f"/account/confirm/{make_confirm_token(w.account(own))}",
        same({**EVERYONE, **dict.fromkeys(SIGNED_OUT, "login")}),
    ),
    ("accounts.resend_confirmation", "POST"): (lambda w, own: "/account/confirm", same(SIGNED_IN)),
    ("accounts.change_school", "POST"): (lambda w, own: "/account/school", only("student")),
    ("accounts.reset_request", "GET"): (lambda w, own: "/account/reset", same(EVERYONE)),
    ("accounts.reset_request", "POST"): (lambda w, own: "/account/reset", same(EVERYONE)),
    ("accounts.reset", "GET"): (lambda w, own: f"/account/reset/{make_reset_token(w.account(own))}", same(EVERYONE)),
    ("accounts.reset", "POST"): (lambda w, own: f"/account/reset/{make_reset_token(w.account(own))}", same(EVERYONE)),
    ("accounts.profile", "GET"): (lambda w, own: "/account", same(SIGNED_IN)),
    ("accounts.profile", "POST"): (lambda w, own: "/account", same(SIGNED_IN)),
    ("accounts.change_password", "POST"): (lambda w, own: "/account/password", same(SIGNED_IN)),
    ("partners.dashboard", "GET"): (lambda w, own: "/partner", only("partner_staff")),
    ("partners.edit_profile", "GET"): (lambda w, own: "/partner/profile", only("partner_staff")),
    ("partners.edit_profile", "POST"): (lambda w, own: "/partner/profile", only("partner_staff")),
    ("partners.new_opportunity", "GET"): (lambda w, own: "/partner/opportunities/new", only("partner_staff")),
    ("partners.new_opportunity", "POST"): (lambda w, own: "/partner/opportunities/new", only("partner_staff")),
    ("partners.edit_opportunity", "GET"): (
        lambda w, own: f"/partner/opportunities/{w.opp(own).id}/edit",
        only(*PARTNER_OR_STAFF, other={"partner_staff": "403"}),
    ),
    ("partners.edit_opportunity", "POST"): (
        lambda w, own: f"/partner/opportunities/{w.opp(own).id}/edit",
        only(*PARTNER_OR_STAFF, other={"partner_staff": "403"}),
    ),
    ("review.queue", "GET"): (lambda w, own: "/review", only(*STAFF)),
    ("review.review", "GET"): (lambda w, own: f"/review/changes/{w.change(own).id}", only(*STAFF)),
    ("review.approve", "POST"): (lambda w, own: f"/review/changes/{w.change(own).id}/approve", only(*STAFF)),
    ("review.request_changes", "POST"): (
        lambda w, own: f"/review/changes/{w.change(own).id}/request-changes",
        only(*STAFF),
    ),
    ("review.reject", "POST"): (lambda w, own: f"/review/changes/{w.change(own).id}/reject", only(*STAFF)),
    ("review.add_missing_records", "POST"): (
        lambda w, own: f"/review/changes/{w.change(own).id}/records",
        only(*STAFF),
    ),
    ("review.needs_verification", "GET"): (lambda w, own: "/review/needs-verification", only(*STAFF)),
    ("review.partner_list", "GET"): (lambda w, own: "/review/partners", only(*STAFF)),
    ("review.partner_detail", "GET"): (lambda w, own: f"/review/partners/{w.partner(own).id}", only(*STAFF)),
    ("review.verify_partner", "POST"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/verify",
        only(*STAFF),
    ),
    ("review.archive_partner", "POST"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/archive",
        only(*STAFF),
    ),
    ("review.restore_partner", "POST"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/restore",
        only(*STAFF),
    ),
    ("review.merge_partner", "POST"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/merge",
        only(*STAFF),
    ),
    ("review.opportunity_detail", "GET"): (
        lambda w, own: f"/review/opportunities/{w.opp(own).id}",
        only(*STAFF),
    ),
    ("review.verify_opportunity", "POST"): (
        lambda w, own: f"/review/opportunities/{w.opp(own).id}/verify",
        only(*STAFF),
    ),
    ("review.archive_opportunity", "POST"): (
        lambda w, own: f"/review/opportunities/{w.opp(own).id}/archive",
        only(*STAFF),
    ),
    ("review.restore_opportunity", "POST"): (
        lambda w, own: f"/review/opportunities/{w.opp(own).id}/restore",
        only(*STAFF),
    ),
    ("review.edit_partner", "GET"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/edit",
        only(*STAFF),
    ),
    ("review.edit_partner", "POST"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/edit",
        only(*STAFF),
    ),
    ("review.edit_opportunity", "GET"): (
        lambda w, own: f"/review/opportunities/{w.opp(own).id}/edit",
        only(*STAFF),
    ),
    ("review.edit_opportunity", "POST"): (
        lambda w, own: f"/review/opportunities/{w.opp(own).id}/edit",
        only(*STAFF),
    ),
    ("review.new_vetting", "GET"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/vetting/new",
        only(*STAFF),
    ),
    ("review.new_vetting", "POST"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/vetting/new",
        only(*STAFF),
    ),
    ("review.edit_vetting", "GET"): (lambda w, own: f"/review/vetting/{w.vetting(own).id}/edit", only(*STAFF)),
    ("review.edit_vetting", "POST"): (
        lambda w, own: f"/review/vetting/{w.vetting(own).id}/edit",
        only(*STAFF),
    ),
    ("review.delete_vetting", "POST"): (
        lambda w, own: f"/review/vetting/{w.vetting(own).id}/delete",
        only(*STAFF),
    ),
    ("review.exempt_partner", "POST"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/exemption",
        only(*STAFF),
    ),
    ("review.unexempt_partner", "POST"): (
        lambda w, own: f"/review/partners/{w.partner(own).id}/exemption/remove",
        only(*STAFF),
    ),
    ("review.audit_log", "GET"): (lambda w, own: "/review/audit", only(*STAFF)),
    ("admin.users", "GET"): (lambda w, own: "/admin/users", only("admin")),
    ("admin.users", "POST"): (lambda w, own: "/admin/users", only("admin")),
    ("admin.pending", "GET"): (lambda w, own: "/admin/pending", only(*STAFF)),
    ("admin.user_detail", "GET"): (
        lambda w, own: f"/admin/users/{w.account(own).id}",
        only(*STAFF, other={"specialist": "403"}),
    ),
    ("admin.approve_user", "POST"): (
        lambda w, own: f"/admin/users/{w.account(own).id}/approve",
        only(*STAFF, other={"specialist": "403"}),
    ),
    ("admin.revoke_approval", "POST"): (
        lambda w, own: f"/admin/users/{w.account(own).id}/revoke",
        only(*STAFF, other={"specialist": "403"}),
    ),
    ("admin.set_role", "POST"): (lambda w, own: f"/admin/users/{w.account(own).id}/role", only("admin")),
    ("admin.end_sessions", "POST"): (lambda w, own: f"/admin/users/{w.account(own).id}/end-sessions", only("admin")),
    ("admin.reset_second_factor", "POST"): (
        lambda w, own: f"/admin/users/{w.account(own).id}/reset-second-factor",
        only("admin"),
    ),
    # Second factor and sessions: every signed-in account may reach these pages (they send
    # those who need no second step on); new recovery codes are for those who have one.
    ("accounts.two_factor", "GET"): (lambda w, own: "/account/two-factor", same(SIGNED_IN)),
    ("accounts.two_factor", "POST"): (lambda w, own: "/account/two-factor", same(SIGNED_IN)),
    ("accounts.two_factor_enrol", "GET"): (lambda w, own: "/account/two-factor/enrol", same(SIGNED_IN)),
    ("accounts.two_factor_enrol", "POST"): (lambda w, own: "/account/two-factor/enrol", same(SIGNED_IN)),
    ("accounts.new_recovery_codes", "POST"): (
        lambda w, own: "/account/two-factor/recovery-codes",
        only(*PARTNER_OR_STAFF),
    ),
    ("accounts.session_ping", "POST"): (lambda w, own: "/account/session", same(SIGNED_IN)),
    # The warning script's question: JSON, a 401 for those not signed in (never a redirect).
    ("accounts.session_status", "GET"): (
        lambda w, own: "/account/session",
        same({role: "401" if role in SIGNED_OUT else "ok" for role in ROLES}),
    ),
    # Consent: the applicant gives it on their application; they or district staff revoke it;
    # district staff record paper forms, the eligibility mark and partners' data agreements.
    ("consent.give", "POST"): (
        lambda w, own: f"/consent/applications/{w.application(own).id}/give",
        only("student", other={"student": "403"}),
    ),
    ("consent.revoke", "POST"): (
        lambda w, own: f"/consent/applications/{w.application(own).id}/revoke",
        only("student", *STAFF, other={"student": "403"}),
    ),
    ("consent.paper", "POST"): (lambda w, own: f"/consent/applications/{w.application(own).id}/paper", only(*STAFF)),
    ("consent.mark_eligible", "POST"): (
        lambda w, own: f"/consent/applications/{w.application(own).id}/eligible",
        only(*STAFF),
    ),
    ("consent.unmark_eligible", "POST"): (
        lambda w, own: f"/consent/applications/{w.application(own).id}/not-eligible",
        only(*STAFF),
    ),
    ("consent.agreements", "GET"): (lambda w, own: f"/consent/partners/{w.partner(own).id}/agreements", only(*STAFF)),
    ("consent.agreements", "POST"): (lambda w, own: f"/consent/partners/{w.partner(own).id}/agreements", only(*STAFF)),
    # Applications: "own" = the matrix student's application to the own partner's listing;
    # "other" = another student's application to the other partner's listing.
    ("applications.apply", "POST"): (lambda w, own: f"/applications/apply/{w.opp(own).slug}", only("student")),
    ("applications.mine", "GET"): (lambda w, own: "/applications/mine", only("student")),
    ("applications.withdraw", "POST"): (
        lambda w, own: f"/applications/{w.application(own).id}/withdraw",
        only("student", other={"student": "403"}),
    ),
    ("applications.received", "GET"): (lambda w, own: "/applications/received", only(*PARTNER_OR_STAFF)),
    ("applications.detail", "GET"): (
        lambda w, own: f"/applications/{w.application(own).id}",
        only("student", *PARTNER_OR_STAFF, other={"student": "403", "partner_staff": "403"}),
    ),
    # The matrix world has no consent on record: the partner's own staff are refused the file
    # (tests/test_consent.py shows the download once consent and an agreement are there).
    ("applications.download", "GET"): (lambda w, own: f"/applications/{w.application(own).id}/download", only(*STAFF)),
    ("applications.send_message", "POST"): (
        lambda w, own: f"/applications/{w.application(own).id}/messages",
        only("student", *PARTNER_OR_STAFF, other={"student": "403", "partner_staff": "403"}),
    ),
    ("applications.move", "POST"): (
        lambda w, own: f"/applications/{w.application(own).id}/move",
        only(*PARTNER_OR_STAFF, other={"partner_staff": "403"}),
    ),
    # Teachers' requests: "own" = the matrix teacher's request to the own partner; "other" =
    # another teacher's request to the other partner. Both are accepted visits (so .ics exists).
    ("visits.find", "GET"): (lambda w, own: "/visits/find", only("teacher")),
    ("visits.new_request", "GET"): (
        lambda w, own: f"/visits/new?opportunity={w.opp(own).id}",
        only("teacher"),
    ),
    ("visits.new_request", "POST"): (
        lambda w, own: f"/visits/new?opportunity={w.opp(own).id}",
        only("teacher"),
    ),
    ("visits.mine", "GET"): (lambda w, own: "/visits/mine", only("teacher")),
    ("visits.received", "GET"): (lambda w, own: "/visits/received", only("partner_staff")),
    ("visits.detail", "GET"): (
        lambda w, own: f"/visits/{w.visit(own).id}",
        only("teacher", *PARTNER_OR_STAFF, other={"teacher": "403", "partner_staff": "403"}),
    ),
    ("calendars.visit_calendar", "GET"): (
        lambda w, own: f"/calendar/visits/{w.visit(own).id}.ics",
        only("teacher", *PARTNER_OR_STAFF, other={"teacher": "403", "partner_staff": "403"}),
    ),
    ("visits.accept", "POST"): (
        lambda w, own: f"/visits/{w.visit(own).id}/accept",
        only("partner_staff", other={"partner_staff": "403"}),
    ),
    ("visits.propose", "POST"): (
        lambda w, own: f"/visits/{w.visit(own).id}/propose",
        only("partner_staff", other={"partner_staff": "403"}),
    ),
    ("visits.decline", "POST"): (
        lambda w, own: f"/visits/{w.visit(own).id}/decline",
        only("partner_staff", other={"partner_staff": "403"}),
    ),
    ("visits.answer", "POST"): (
        lambda w, own: f"/visits/{w.visit(own).id}/answer",
        only("teacher", other={"teacher": "403"}),
    ),
    ("visits.cancel", "POST"): (
        lambda w, own: f"/visits/{w.visit(own).id}/cancel",
        only("teacher", other={"teacher": "403"}),
    ),
    ("visits.confirm", "POST"): (
        lambda w, own: f"/visits/{w.visit(own).id}/confirm",
        only("teacher", "partner_staff", other={"teacher": "403", "partner_staff": "403"}),
    ),
    ("visits.send_message", "POST"): (
        lambda w, own: f"/visits/{w.visit(own).id}/messages",
        only("teacher", "partner_staff", other={"teacher": "403", "partner_staff": "403"}),
    ),
    ("visits.flagged", "GET"): (lambda w, own: "/visits/flagged", only(*STAFF)),
    ("visits.reassign", "POST"): (lambda w, own: f"/visits/{w.visit(own).id}/reassign", only(*STAFF)),
    # Notifications: "own" belongs to the matrix student, "other" to another student.
    ("notifications.notification_list", "GET"): (lambda w, own: "/notifications", same(SIGNED_IN)),
    ("notifications.mark_all_read", "POST"): (lambda w, own: "/notifications/read", same(SIGNED_IN)),
    ("notifications.mark_read", "POST"): (
        lambda w, own: f"/notifications/{w.notification(own).id}/read",
        only("student", other={"student": "403"}),
    ),
    # Surveys: asked of the student and the partner's staff (applications), the teacher and the
    # partner's staff (visits); specialists read the answers but are not asked.
    ("outcomes.application_survey", "GET"): (
        lambda w, own: f"/outcomes/survey/applications/{w.application(own).id}",
        only("student", "partner_staff", other={"student": "403", "partner_staff": "403"}),
    ),
    ("outcomes.application_survey", "POST"): (
        lambda w, own: f"/outcomes/survey/applications/{w.application(own).id}",
        only("student", "partner_staff", other={"student": "403", "partner_staff": "403"}),
    ),
    ("outcomes.visit_survey", "GET"): (
        lambda w, own: f"/outcomes/survey/visits/{w.visit(own).id}",
        only("teacher", "partner_staff", other={"teacher": "403", "partner_staff": "403"}),
    ),
    ("outcomes.visit_survey", "POST"): (
        lambda w, own: f"/outcomes/survey/visits/{w.visit(own).id}",
        only("teacher", "partner_staff", other={"teacher": "403", "partner_staff": "403"}),
    ),
}

# The specialists' toolkit (issue 6): import, export, newsletters, pools, outcomes, feedback, calendars.
SPECIALIST_ONLY_TOOLS = {
    ("transfers.import_upload", "GET"): lambda w, own: "/transfers/import",
    ("transfers.import_upload", "POST"): lambda w, own: "/transfers/import",
    ("transfers.import_commit", "POST"): lambda w, own: "/transfers/import/commit",
    ("transfers.import_run", "GET"): lambda w, own: f"/transfers/import/runs/{w.import_run.id}",
    ("transfers.import_template", "GET"): lambda w, own: "/transfers/import/template-partners.csv",
    ("transfers.partners_csv", "GET"): lambda w, own: "/transfers/partners.csv",
    ("transfers.opportunities_csv", "GET"): lambda w, own: "/transfers/opportunities.csv",
    ("transfers.needs_verification_csv", "GET"): lambda w, own: "/transfers/needs-verification.csv",
    ("transfers.audit_csv", "GET"): lambda w, own: "/transfers/audit.csv",
    ("outcomes.report", "GET"): lambda w, own: "/outcomes?group=network",
    ("outcomes.export_csv", "GET"): lambda w, own: "/outcomes/export.csv",
    ("outcomes.credential_queue", "GET"): lambda w, own: "/outcomes/credentials",
    ("outcomes.credential_decide", "POST"): lambda w, own: f"/outcomes/credentials/{w.credential().id}/confirm",
    ("outcomes.feedback_list", "GET"): lambda w, own: "/outcomes/feedback",
    ("outcomes.feedback_csv", "GET"): lambda w, own: "/outcomes/feedback.csv",
    ("newsletters.newsletter_list", "GET"): lambda w, own: "/newsletters",
    ("newsletters.new", "GET"): lambda w, own: "/newsletters/new",
    ("newsletters.new", "POST"): lambda w, own: "/newsletters/new",
    ("newsletters.edit", "GET"): lambda w, own: f"/newsletters/{w.newsletter().id}?q=test",
    ("newsletters.preview", "GET"): lambda w, own: f"/newsletters/{w.newsletter().id}/preview",
    ("newsletters.download", "GET"): lambda w, own: f"/newsletters/{w.newsletter().id}.txt",
    ("newsletters.add", "POST"): lambda w, own: f"/newsletters/{w.newsletter().id}/add",
    ("newsletters.note", "POST"): lambda w, own: f"/newsletters/{w.newsletter().id}/note",
    ("newsletters.item", "POST"): lambda w, own: f"/newsletters/{w.newsletter().id}/items/{w.opp(True).id}/down",
    ("newsletters.send", "POST"): lambda w, own: f"/newsletters/{w.newsletter().id}/send",
    ("pools.pool_list", "GET"): lambda w, own: "/pools",
    ("pools.export_csv", "GET"): lambda w, own: "/pools/export.csv",
    ("pools.pool_new", "GET"): lambda w, own: "/pools/new",
    ("pools.pool_new", "POST"): lambda w, own: "/pools/new",
    ("pools.pool_detail", "GET"): lambda w, own: f"/pools/{w.allocation(own).pool_id}",
    ("pools.pool_detail", "POST"): lambda w, own: f"/pools/{w.allocation(own).pool_id}",
    # The specialist's relationships (issue 16): the log, follow-ups, the pipeline, their CSV.
    ("relationships.new_partner_contact", "GET"): lambda w, own: (
        f"/relationships/partners/{w.partner(own).id}/contacts/new"
    ),
    ("relationships.new_partner_contact", "POST"): lambda w, own: (
        f"/relationships/partners/{w.partner(own).id}/contacts/new"
    ),
    ("relationships.new_prospect_contact", "GET"): lambda w, own: (
        f"/relationships/prospects/{w.prospect().id}/contacts/new"
    ),
    ("relationships.new_prospect_contact", "POST"): lambda w, own: (
        f"/relationships/prospects/{w.prospect().id}/contacts/new"
    ),
    ("relationships.my_follow_ups", "GET"): lambda w, own: "/relationships/follow-ups",
    ("relationships.follow_up_done", "POST"): lambda w, own: f"/relationships/follow-ups/{w.follow_up().id}/done",
    ("relationships.prospects", "GET"): lambda w, own: "/relationships/prospects",
    ("relationships.new_prospect", "GET"): lambda w, own: "/relationships/prospects/new",
    ("relationships.new_prospect", "POST"): lambda w, own: "/relationships/prospects/new",
    ("relationships.prospect_detail", "GET"): lambda w, own: f"/relationships/prospects/{w.prospect().id}",
    ("relationships.advance", "POST"): lambda w, own: f"/relationships/prospects/{w.prospect().id}/stage/closed",
    ("relationships.contacts_csv", "GET"): lambda w, own: "/relationships/contacts.csv",
    ("relationships.follow_ups_csv", "GET"): lambda w, own: "/relationships/follow-ups.csv",
    ("relationships.prospects_csv", "GET"): lambda w, own: "/relationships/prospects.csv",
}
MATRIX.update({key: (build, only(*STAFF)) for key, build in SPECIALIST_ONLY_TOOLS.items()})
MATRIX.update(
    {
        ("calendars.personal_calendar", "GET"): (lambda w, own: f"/calendar/{w.calendar_token()}.ics", same(EVERYONE)),
        ("calendars.new_link", "POST"): (lambda w, own: "/calendar/new-link", same(SIGNED_IN)),
        ("newsletters.subscribe", "GET"): (lambda w, own: "/newsletters/subscribe", same(EVERYONE)),
        ("newsletters.subscribe", "POST"): (lambda w, own: "/newsletters/subscribe", same(EVERYONE)),
        ("newsletters.subscribe_confirm", "GET"): (
            lambda w, own: f"/newsletters/confirm/{w.subscriber_token('confirm')}",
            same(EVERYONE),
        ),
        ("newsletters.unsubscribe", "GET"): (
            lambda w, own: f"/newsletters/unsubscribe/{w.subscriber_token('leave')}",
            same(EVERYONE),
        ),
        ("outcomes.credential_new", "GET"): (lambda w, own: "/outcomes/credentials/new", only("partner_staff")),
        ("outcomes.credential_new", "POST"): (lambda w, own: "/outcomes/credentials/new", only("partner_staff")),
        ("outcomes.partner_scorecards", "GET"): (lambda w, own: "/outcomes/scorecards", only("partner_staff")),
        ("pools.distributor_seats", "GET"): (lambda w, own: "/pools/seats", only("partner_staff")),
        ("pools.seat_assign", "POST"): (
            lambda w, own: f"/pools/seats/{w.allocation(own).id}/assign",
            only("partner_staff", other={"partner_staff": "403"}),
        ),
        ("pools.seat_change", "POST"): (
            lambda w, own: f"/pools/seats/assignments/{w.assignment(own).id}/renew",
            only("partner_staff", other={"partner_staff": "403"}),
        ),
        # Issue 16: families' programmes, learning places, licence requests, newsletter stories.
        ("directory.families", "GET"): (lambda w, own: "/families", same(EVERYONE)),
        ("directory.place_list", "GET"): (lambda w, own: "/places?kind=library", same(EVERYONE)),
        ("directory.place_detail", "GET"): (lambda w, own: f"/places/{w.place().id}", same(EVERYONE)),
        ("licences.ask", "GET"): (lambda w, own: "/licences", same(EVERYONE)),
        ("licences.ask", "POST"): (lambda w, own: "/licences", same(EVERYONE)),
        ("licences.confirm", "GET"): (
            lambda w, own: f"/licences/confirm/{w.licence_token(own, 'confirm')}",
            same(EVERYONE),
        ),
        ("licences.holder", "GET"): (lambda w, own: f"/licences/mine/{w.licence_token(own, 'holder')}", same(EVERYONE)),
        ("licences.renew", "POST"): (
            lambda w, own: f"/licences/mine/{w.licence_token(own, 'holder')}/renew",
            same(EVERYONE),
        ),
        ("licences.manage", "GET"): (lambda w, own: "/licences/manage", only("partner_staff")),
        ("licences.answer", "POST"): (
            lambda w, own: f"/licences/manage/{w.licence_request(own).id}/grant",
            only("partner_staff", other={"partner_staff": "403"}),
        ),
        ("licences.report", "GET"): (lambda w, own: "/licences/report", only(*STAFF)),
        ("newsletters.add_story", "POST"): (lambda w, own: f"/newsletters/{w.newsletter().id}/stories", only(*STAFF)),
        ("newsletters.remove_story", "POST"): (
            lambda w, own: f"/newsletters/{w.newsletter().id}/stories/1/remove",
            only(*STAFF),
        ),
        ("newsletters.story_image", "GET"): (lambda w, own: f"/newsletters/images/{w.story_image()}", same(EVERYONE)),
        # A student's seats and the claim-code form.
        # An import's check page is its uploader's alone: another specialist's token is not found.
        ("transfers.import_check", "GET"): (
            lambda w, own: f"/transfers/import/check/{w.import_check(own)}",
            only("specialist", "admin", other={"specialist": "404", "admin": "404"})
            | {"own": only("specialist", "admin")["own"] | {"admin": "404"}},
        ),
        ("pools.my_seats", "GET"): (lambda w, own: "/pools/my-seats", only("student")),
        ("pools.my_seats", "POST"): (lambda w, own: "/pools/my-seats", only("student")),
        # My record (issue 16): "own" is the matrix student's link, "other" another student's.
        ("records.mine", "GET"): (lambda w, own: "/my-record", only("student")),
        ("records.share", "POST"): (lambda w, own: "/my-record/links", only("student")),
        ("records.revoke", "POST"): (
            lambda w, own: f"/my-record/links/{w.share(own)[0].id}/stop",
            only("student", other={"student": "403"}),
        ),
        # Whoever holds a live link sees the record, signed in or not.
        ("records.shared", "GET"): (lambda w, own: f"/my-record/shared/{w.share(own)[1]}", same(EVERYONE)),
        # Community events: "own" is the own partner's event and the matrix student's sign-up.
        ("events.sign_up", "POST"): (lambda w, own: f"/events/{w.event(own).slug}/sign-up", only(*ACTIVE_ROLES)),
        ("events.mine", "GET"): (lambda w, own: "/events/mine", same(SIGNED_IN)),
        ("events.cancel", "POST"): (
            lambda w, own: f"/events/signups/{w.signup(own).id}/cancel",
            only("student", other={"student": "403"}),
        ),
        ("events.signup_calendar", "GET"): (
            lambda w, own: f"/events/signups/{w.signup(own).id}.ics",
            only("student", other={"student": "403"}),
        ),
        ("events.attendance", "GET"): (
            lambda w, own: f"/events/{w.event(own).id}/attendance",
            only(*PARTNER_OR_STAFF, other={"partner_staff": "403"}),
        ),
        ("events.mark", "POST"): (
            lambda w, own: f"/events/signups/{w.signup(own).id}/attendance/came",
            only(*PARTNER_OR_STAFF, other={"partner_staff": "403"}),
        ),
    }
)

# Privacy (issue 15): the notice and inventory are public; a student's own records; a parent's
# emailed link; the specialists' request queue; the privacy officer's incidents and erasure.
MATRIX.update(
    {
        ("privacy.notice", "GET"): (lambda w, own: "/privacy", same(EVERYONE)),
        ("privacy.data", "GET"): (lambda w, own: "/privacy/data", same(EVERYONE)),
        ("privacy.mine", "GET"): (lambda w, own: "/privacy/mine", only("student")),
        ("privacy.copy_html", "GET"): (lambda w, own: "/privacy/mine/copy", only("student")),
        ("privacy.copy_json", "GET"): (lambda w, own: "/privacy/mine/copy.json", only("student")),
        ("privacy.ask_correction", "POST"): (lambda w, own: "/privacy/mine/corrections", only("student")),
        ("privacy.add_family", "POST"): (lambda w, own: "/privacy/mine/family", only("student")),
        ("privacy.close", "GET"): (lambda w, own: "/privacy/mine/close", only("student")),
        # Without the box ticked the form comes back (400): the cell is allowed, nothing is erased.
        ("privacy.close", "POST"): (lambda w, own: "/privacy/mine/close", only("student")),
        ("privacy.family_request", "GET"): (lambda w, own: "/privacy/family", same(EVERYONE)),
        ("privacy.family_request", "POST"): (lambda w, own: "/privacy/family", same(EVERYONE)),
        # Whoever holds the emailed link reads the copy (the signed link is the credential).
        ("privacy.family_copy", "GET"): (lambda w, own: f"/privacy/family/{w.family_token()}", same(EVERYONE)),
        ("privacy.family_copy_json", "GET"): (
            lambda w, own: f"/privacy/family/{w.family_token()}.json",
            same(EVERYONE),
        ),
        ("privacy.requests_list", "GET"): (lambda w, own: "/privacy/requests", only(*STAFF)),
        ("privacy.request_step", "POST"): (
            lambda w, own: f"/privacy/requests/{w.rights_request().id}/decide",
            only(*STAFF),
        ),
        ("privacy.confirm_link", "POST"): (
            lambda w, own: f"/privacy/family-links/{w.family_link().id}/confirm",
            only(*STAFF),
        ),
        ("privacy.incidents", "GET"): (lambda w, own: "/privacy/incidents", only("admin")),
        ("privacy.incidents", "POST"): (lambda w, own: "/privacy/incidents", only("admin")),
        ("privacy.incident", "GET"): (lambda w, own: f"/privacy/incidents/{w.incident().id}", only("admin")),
        # A fresh student each cell: the admin's cell really erases one.
        ("privacy.erase", "POST"): (lambda w, own: f"/privacy/erase/{w.throwaway_student().id}", only("admin")),
    }
)


class World:
    """Two partners with an opportunity, a change request and a vetting record each, and one
    user per role; the partner-staff users (approved, pending, switched off) work for partner A
    ("own")."""

    def __init__(self, make_partner, make_opportunity, curie):
        self.school = curie
        self.partners = {True: make_partner(name="Own Partner"), False: make_partner(name="Other Partner")}
        self.opps = {own: make_opportunity(partner=p) for own, p in self.partners.items()}
        self.changes = {}
        for own, opp in self.opps.items():
            change = ChangeRequest(subject_type="opportunity", subject_id=opp.id, proposed={"title": "Proposed"})
            db.session.add(change)
            self.changes[own] = change
        self.users = {}
        for name in ROLES[1:]:
            role = name.removeprefix("pending_").removeprefix("deactivated_")
            user = User(
                email=f"{name}@matrix.example",
                role=role,
                is_approved=name not in PENDING,
                active=name not in DEACTIVATED,
                school_id=curie.id if role in ("student", "teacher") else None,
                grade=9 if role == "student" else None,
                partner=self.partners[True] if role == "partner_staff" else None,
            )
            db.session.add(user)
            self.users[name] = user
        # The pending teacher's account is the "own" account specialists look at, and it asked
        # for the "other" visit: waiting for approval, it must not see even its own request.
        self.accounts = {
            True: self.users["pending_teacher"],
            False: User(email="student@other.example", role="student", school_id=curie.id, grade=7),
        }
        db.session.add(self.accounts[False])
        self.import_run = ImportRun(token="matrix-run", what="partners", state="done")  # any specialist's
        db.session.add(self.import_run)
        db.session.commit()
        students = {True: self.users["student"], False: self.accounts[False]}
        teachers = {True: self.users["teacher"], False: self.accounts[True]}
        self.applications = {
            own: Application(opportunity_id=self.opps[own].id, student_id=students[own].id) for own in (True, False)
        }
        visit_day = self.school_today() + timedelta(days=10)
        self.visits = {
            own: VisitRequest(
                teacher_id=teachers[own].id,
                partner_id=self.partners[own].id,
                school_id=curie.id,
                topic="Robots",
                grade=9,
                class_size=25,
                date_1=visit_day,
                state="accepted",
                visit_date=visit_day,
            )
            for own in (True, False)
        }
        self.notifications = {
            own: Notification(
                user_id=students[own].id,
                kind="application_accepted",
                params={"title": "Robots"},
                link="/applications/mine",
            )
            for own in (True, False)
        }
        db.session.add_all([*self.applications.values(), *self.visits.values(), *self.notifications.values()])
        db.session.commit()

    def partner(self, own):
        return self.partners[own]

    def opp(self, own):
        return self.opps[own]

    def change(self, own):
        return self.changes[own]

    def account(self, own):
        return self.accounts[own]

    def application(self, own):
        return self.applications[own]

    def visit(self, own):
        return self.visits[own]

    def notification(self, own):
        return self.notifications[own]

    def vetting(self, own):
        """A fresh record each time: deleting one must not change the next cell's answer."""
        record = VettingRecord(
            partner=self.partners[own], kind="insurance", issued_on=self.school_today(), expires_on=self.school_today()
        )
        db.session.add(record)
        db.session.commit()
        return record

    def newsletter(self):
        from cpspartners.models import Newsletter

        if not hasattr(self, "_newsletter"):
            self._newsletter = Newsletter(subject="Matrix news", audience="students", language="en")
            db.session.add(self._newsletter)
            db.session.commit()
        return self._newsletter

    def allocation(self, own):
        """A pool provided by the other partner, with seats allocated to each partner."""
        from cpspartners.models import SeatAllocation, SeatPool

        if not hasattr(self, "_allocations"):
            pool = SeatPool(name="Matrix licences", provider=self.partners[False], total_seats=10)
            self._allocations = {
                o: SeatAllocation(pool=pool, distributor=self.partners[o], seats=5) for o in (True, False)
            }
            db.session.add_all([pool, *self._allocations.values()])
            db.session.commit()
        return self._allocations[own]

    def assignment(self, own):
        from cpspartners.models import SeatAssignment

        seat = SeatAssignment(
            allocation=self.allocation(own),
            holder_name="Family",
            holder_email="f@example.org",
            starts_on=self.school_today(),
            expires_on=self.school_today(),
        )
        db.session.add(seat)
        db.session.commit()
        return seat

    def place(self):
        from cpspartners.models import Place

        if not hasattr(self, "_place"):
            self._place = Place(
                source="cpl", source_key="Matrix", kind="library", name="Matrix Library", latitude=41.9, longitude=-87.7
            )
            db.session.add(self._place)
            db.session.commit()
        return self._place

    def licence_request(self, own):
        """A confirmed family request to the partner's own (or the other partner's) allocation."""
        from cpspartners.models import LicenceRequest

        req = LicenceRequest(
            allocation=self.allocation(own), name="Family", email=f"family{own}@example.org", status="requested"
        )
        db.session.add(req)
        db.session.commit()
        return req

    def licence_token(self, own, purpose):
        from cpspartners.accounts.auth import sign
        from cpspartners.services import licences

        req = self.licence_request(own)
        salt = licences.CONFIRM_SALT if purpose == "confirm" else licences.HOLDER_SALT
        if purpose == "confirm":
            req.status = "unconfirmed"
            db.session.commit()
        return sign(salt, {"r": req.id, "e": req.email})

    def story_image(self):
        """A stored story image (one the site made: a random hex name)."""
        import os
        import tempfile

        from flask import current_app

        from cpspartners.services import newsletters

        if not current_app.config.get("STORY_IMAGE_DIR"):
            current_app.config["STORY_IMAGE_DIR"] = tempfile.mkdtemp(prefix="cps-story-")
        name = "0" * 32 + ".png"
        with open(os.path.join(newsletters.image_dir(), name), "wb") as handle:
            handle.write(b"\x89PNG\r\n\x1a\n")
        return name

    def credential(self):
        from cpspartners.models import Credential

        record = Credential(
            student=self.accounts[False],
            kind="certification",
            name="OSHA 10",
            earned_on=self.school_today(),
            evidence="Card 123",
        )
        db.session.add(record)
        db.session.commit()
        return record

    def calendar_token(self):
        from cpspartners.calendars import personal

        return personal.token_for(self.users["student"])

    def subscriber_token(self, purpose):
        from itsdangerous import URLSafeTimedSerializer

        from cpspartners.models import NewsletterSubscriber
        from cpspartners.services import newsletter_delivery

        subscriber = NewsletterSubscriber(email=f"family-{purpose}-{NewsletterSubscriber.query.count()}@example.org")
        db.session.add(subscriber)
        db.session.commit()
        if purpose == "leave":
            return newsletter_delivery.unsubscribe_token({"s": subscriber.id})
        from flask import current_app

        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=newsletter_delivery.CONFIRM_SALT).dumps(
            {"s": subscriber.id, "e": subscriber.email}
        )

    def rights_request(self):
        from cpspartners.services import privacy

        return privacy.open_request(self.accounts[False], "correction", field="name", value="Ana")

    def family_link(self):
        from cpspartners.models import FamilyLink

        link = FamilyLink(student_id=self.accounts[False].id, parent_email=f"p{FamilyLink.query.count()}@example.org")
        db.session.add(link)
        db.session.commit()
        return link

    def family_token(self):
        from flask import current_app
        from itsdangerous import URLSafeTimedSerializer

        from cpspartners.privacy.views import FAMILY_SALT

        link = self.family_link()
        link.state = "confirmed"
        db.session.commit()
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=FAMILY_SALT).dumps({"l": link.id})

    def incident(self):
        from datetime import UTC, datetime

        from cpspartners.models import Incident

        if not hasattr(self, "_incident"):
            now = datetime.now(UTC)
            self._incident = Incident(
                title="Drill", discovered_at=now, window_start=now, window_end=now, parent_notice_due=now
            )
            db.session.add(self._incident)
            db.session.commit()
        return self._incident

    def throwaway_student(self):
        student = User(
            email=f"gone{User.query.count()}@matrix.example", role="student", school_id=self.school.id, grade=8
        )
        db.session.add(student)
        db.session.commit()
        return student

    def prospect(self):
        from cpspartners.models import Prospect

        if not hasattr(self, "_prospect"):
            self._prospect = Prospect(name="Matrix prospect", kind="nonprofit")
            db.session.add(self._prospect)
            db.session.commit()
        return self._prospect

    def follow_up(self):
        from cpspartners.models import Contact, FollowUp

        contact = Contact(partner=self.partners[True], kind="one_on_one", held_on=self.school_today())
        follow_up = FollowUp(contact=contact, task="Call", due_on=self.school_today(), owner=self.users["specialist"])
        db.session.add_all([contact, follow_up])
        db.session.commit()
        return follow_up

    def share(self, own):
        """A live link to the matrix student's record ("own") or another student's, and its token."""
        from cpspartners.services import records

        if not hasattr(self, "_shares"):
            self._shares = {
                o: records.share_record(self.users["student"] if o else self.accounts[False], 30) for o in (True, False)
            }
        return self._shares[own]

    def event(self, own):
        if not hasattr(self, "_events"):
            self._events = {
                o: Opportunity(
                    partner=self.partners[o],
                    kind="community_event",
                    title="Town hall",
                    slug=f"matrix-town-hall-{int(o)}",
                    status="published",
                    starts_on=self.school_today() + timedelta(days=3),
                )
                for o in (True, False)
            }
            db.session.add_all(self._events.values())
            db.session.commit()
        return self._events[own]

    def signup(self, own):
        from cpspartners.models import EventSignup

        if not hasattr(self, "_signups"):
            students = {True: self.users["student"], False: self.accounts[False]}
            self._signups = {
                o: EventSignup(opportunity=self.event(o), user=students[o], state="confirmed", holds_place=True)
                for o in (True, False)
            }
            db.session.add_all(self._signups.values())
            db.session.commit()
        return self._signups[own]

    def import_check(self, own):
        """A stored upload and its report: the specialist's own, or someone else's."""
        import tempfile

        from flask import current_app

        from cpspartners.transfers import checks, uploads

        base = current_app.config.get("IMPORT_UPLOAD_DIR") or tempfile.mkdtemp(prefix="cps-uploads-")
        current_app.config["IMPORT_UPLOAD_DIR"] = base
        owner = self.users["specialist"].id if own else self.accounts[False].id
        token = uploads.save(base, owner, b"external_id,name,kind\nP-1,A partner,nonprofit\n")
        checks.check(base, owner, token, "partners", "matrix.csv")
        return token

    @staticmethod
    def school_today():
        from datetime import date

        return date.today()


@pytest.fixture
def world(app, make_partner, make_opportunity, curie):
    return World(make_partner, make_opportunity, curie)


def test_every_route_is_in_the_matrix(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith("moved.")  # tests/test_moved.py
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert routes - set(MATRIX) == set(), "routes without a row in the permission matrix"
    assert set(MATRIX) - routes == set(), "rows for routes that no longer exist"


def outcome(response):
    location = response.headers.get("Location", "")
    if response.status_code == 302 and location.startswith("/account/sign-in"):
        return "login"
    if response.status_code == 403:
        return "403"
    if response.status_code in (200, 302):
        return "ok"
    csrf_refusal = "This form expired or did not come from this site" in response.get_data(as_text=True)
    if response.status_code == 400 and not csrf_refusal:
        return "ok"  # a form re-shown with its errors: the person was allowed in
    return str(response.status_code)


@pytest.mark.parametrize("endpoint, method", sorted(MATRIX))
def test_permission_matrix(app, world, endpoint, method):
    build, cells = MATRIX[(endpoint, method)]
    got, expected = {}, {}
    for own in (True, False):
        for number, role in enumerate(ROLES):
            client = app.test_client()
            # One address per cell, so the sign-in and reset rate limits never decide a cell.
            client.environ_base["REMOTE_ADDR"] = f"10.9.{int(own)}.{number + 1}"
            if role != "anonymous":
                sign_in_as(client, world.users[role])
            url = build(world, own)
            if method == "GET":
                response = client.get(url)
            else:
                response = client.post(url, data={"csrf_token": csrf_token(client)})
            key = f"{'own' if own else 'other'}/{role}"
            got[key] = outcome(response)
            expected[key] = cells["own" if own else "other"][role]
    assert got == expected


def test_a_denied_post_changes_nothing(app, world):
    """Spot check that the 403 cells really stop the write."""
    client = sign_in_as(app.test_client(), world.users["partner_staff"])
    other = world.opp(False)
    response = client.post(
        f"/partner/opportunities/{other.id}/edit",
        data={
            "csrf_token": csrf_token(client),
            "title": "Taken over",
            "summary": "x",
            "kind": "workshop",
            "audience": "families",
            "grade_min": "6",
            "grade_max": "8",
            "modality": "virtual",
            "community_area_number": "0",
        },
    )
    assert response.status_code == 403
    assert db.session.scalars(select(ChangeRequest).where(ChangeRequest.subject_id == other.id)).one().proposed == {
        "title": "Proposed"
    }
    assert db.session.get(Opportunity, other.id).title != "Taken over"
    assert db.session.get(Partner, world.partner(False).id).status == "active"
