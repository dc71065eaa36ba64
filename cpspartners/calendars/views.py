"""The personal iCalendar feed behind a signed link, and making a new link (revoking the old)."""

from flask import Blueprint, Response, abort, flash, redirect, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from cpspartners import policy
from cpspartners.calendars import feeds, personal
from cpspartners.extensions import db
from cpspartners.formats.ical import feed
from cpspartners.formtools import ActionForm
from cpspartners.models import School, VisitRequest
from cpspartners.services import accounts

bp = Blueprint("calendars", __name__, url_prefix="/calendar")


@bp.route("/schools/<int:school_id>.ics")
def school_calendar(school_id):
    """An iCalendar feed a teacher or family can subscribe to."""
    school = db.get_or_404(School, school_id)
    entries = feeds.school_entries(
        school, lambda opp: url_for("directory.opportunity_detail", slug=opp.slug, _external=True), str(get_locale())
    )
    body = feed(_("Opportunities at and near %(school)s", school=school.long_name), entries)
    return Response(
        body, mimetype="text/calendar", headers={"Content-Disposition": "inline; filename=school-%d.ics" % school.id}
    )


@bp.app_context_processor
def calendar_link():
    def personal_calendar_url():
        if not policy.is_signed_in(current_user):
            return ""
        return url_for("calendars.personal_calendar", token=personal.token_for(current_user), _external=True)

    return {"personal_calendar_url": personal_calendar_url, "calendar_reset_form": ActionForm}


@bp.route("/<token>.ics")
def personal_calendar(token):
    user = personal.user_from_token(token)
    if user is None:
        abort(404)
    locale = user.preferred_language
    entries = personal.entries(
        user, lambda opp: url_for("directory.opportunity_detail", slug=opp.slug, _external=True), locale
    )
    name = _("cpspartners: my deadlines and visits")
    return Response(
        feed(name, entries),
        mimetype="text/calendar",
        headers={"Content-Disposition": "inline; filename=cpspartners.ics", "Cache-Control": "private"},
    )


@bp.route("/new-link", methods=["POST"])
@policy.signed_in
def new_link():
    if ActionForm().validate_on_submit():
        accounts.new_calendar_link(current_user)
        flash(_("Your calendar has a new link. The old link no longer works."), "success")
    return redirect(url_for("accounts.profile") + "#calendar")


@bp.route("/visits/<int:visit_id>.ics")
@policy.signed_in
def visit_calendar(visit_id):
    req = db.get_or_404(VisitRequest, visit_id)
    if policy.visit_side(current_user, req) is None:
        abort(403)
    if req.state not in ("accepted", "completed") or req.visit_date is None:
        abort(404)
    body = feeds.visit_calendar(req, url_for("visits.detail", visit_id=req.id, _external=True))
    return Response(
        body, mimetype="text/calendar", headers={"Content-Disposition": 'attachment; filename="visit-%d.ics"' % req.id}
    )
