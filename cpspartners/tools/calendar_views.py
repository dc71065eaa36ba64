"""The personal iCalendar feed behind a signed link, and making a new link (revoking the old)."""

from flask import Response, abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.services import personal_calendar as calendars
from cpspartners.toolkit.calendar import feed
from cpspartners.tools import bp
from cpspartners.tools.forms import ActionForm


@bp.app_context_processor
def calendar_link():
    def personal_calendar_url():
        if not policy.is_signed_in(current_user):
            return ""
        if not current_user.calendar_nonce:
            calendars.ensure_nonce(current_user)
            db.session.commit()
        return url_for("tools.personal_calendar", token=calendars.token_for(current_user), _external=True)

    return {"personal_calendar_url": personal_calendar_url, "calendar_reset_form": ActionForm}


@bp.route("/calendar/<token>.ics")
def personal_calendar(token):
    user = calendars.user_from_token(token)
    if user is None:
        abort(404)
    locale = user.preferred_language
    entries = calendars.entries(
        user, lambda opp: url_for("directory.opportunity_detail", slug=opp.slug, _external=True), locale
    )
    name = _("cpspartners: my deadlines and visits")
    return Response(
        feed(name, entries),
        mimetype="text/calendar",
        headers={"Content-Disposition": "inline; filename=cpspartners.ics", "Cache-Control": "private"},
    )


@bp.route("/account/calendar/new-link", methods=["POST"])
@policy.signed_in
def calendar_new_link():
    if ActionForm().validate_on_submit():
        calendars.revoke(current_user)
        flash(_("Your calendar has a new link. The old link no longer works."), "success")
    return redirect(url_for("accounts.profile") + "#calendar")
