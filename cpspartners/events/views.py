"""Sign up for a community event, cancel, download it for a calendar; hosts take attendance.

The sign-up box sits on the listing's public page (``_signup_box.html``); every decision is the
service's (``services.events``) and every permission policy's.
"""

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formats.ical import feed
from cpspartners.formtools import ActionForm
from cpspartners.models import EventSignup, Opportunity
from cpspartners.models.queries import page_of, public_opportunities
from cpspartners.services import audit, events
from cpspartners.web import page_number, run

bp = Blueprint("events", __name__, url_prefix="/events")


@bp.app_context_processor
def signup_box():
    def event_box(opp):
        """What the listing page's sign-up box shows to the current reader."""
        today = date.today()
        reason = events.refusal(opp, today)
        box = {"reason": reason, "form": ActionForm(), "signup": None, "full": not opp.has_seat_left}
        if policy.is_signed_in(current_user):
            box["signup"] = events.signup_of(current_user, opp)
        box["can_sign_up"] = policy.signs_up_for_events(current_user)
        box["hosts"] = policy.takes_attendance(current_user, opp)
        return box

    return {"event_box": event_box, "is_event": events.is_event}


@bp.route("/<slug>/sign-up", methods=["POST"])
@policy.requires(policy.signs_up_for_events)
def sign_up(slug):
    opp = db.first_or_404(public_opportunities().where(Opportunity.slug == slug))
    if ActionForm().validate_on_submit():
        signup = run(events.sign_up, current_user, opp)
        if signup:
            placed = signup.state == "confirmed"
            flash(_("You have a place.") if placed else _("The event is full: you are on the waitlist."), "success")
    return redirect(url_for("directory.opportunity_detail", slug=opp.slug) + "#signup-heading")


@bp.route("/signups/<int:signup_id>/cancel", methods=["POST"])
@policy.signed_in
def cancel(signup_id):
    signup = db.get_or_404(EventSignup, signup_id)
    policy.authorize(policy.owns_signup(current_user, signup))
    if ActionForm().validate_on_submit():
        run(events.cancel, current_user, signup, success=_("Your sign-up is cancelled."))
    return redirect(url_for("events.mine"))


@bp.route("/mine")
@policy.signed_in
def mine():
    pagination = page_of(events.mine(current_user), page_number(), current_app.config["PAGE_SIZE"])
    return render_template("events/mine.html", pagination=pagination, form=ActionForm())


@bp.route("/signups/<int:signup_id>.ics")
@policy.signed_in
def signup_calendar(signup_id):
    signup = db.get_or_404(EventSignup, signup_id)
    policy.authorize(policy.owns_signup(current_user, signup))
    url = url_for("directory.opportunity_detail", slug=signup.opportunity.slug, _external=True)
    entry = events.calendar_entry(signup, url, str(get_locale()))
    if entry is None or signup.state == "cancelled":
        abort(404)
    return Response(
        feed(entry.summary, [entry]),
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="event-%d.ics"' % signup.opportunity_id},
    )


@bp.route("/<int:opp_id>/attendance")
@policy.requires(policy.is_event_host)
def attendance(opp_id):
    opp = db.get_or_404(Opportunity, opp_id)
    policy.authorize(policy.takes_attendance(current_user, opp) and events.is_event(opp))
    roster = events.roster(opp)
    page = render_template(
        "events/attendance.html", opp=opp, roster=roster, figures=events.figures(opp), form=ActionForm()
    )
    # Staff and partners seeing students' names and attendance is access to student records.
    audit.log_student_access(current_user, [s.user for s in roster], request.full_path.rstrip("?"))
    return page


@bp.route("/signups/<int:signup_id>/attendance/<any(came, absent):mark>", methods=["POST"])
@policy.requires(policy.is_event_host)
def mark(signup_id, mark):
    signup = db.get_or_404(EventSignup, signup_id)
    policy.authorize(policy.takes_attendance(current_user, signup.opportunity))
    if ActionForm().validate_on_submit():
        run(events.mark_attendance, current_user, signup, mark == "came", success=_("Attendance saved."))
    return redirect(url_for("events.attendance", opp_id=signup.opportunity_id))
