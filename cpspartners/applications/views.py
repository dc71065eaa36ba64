"""Students apply and follow their applications; partner staff decide on them; both sides
message each other through the site. Partners see only ``applications.for_partner_view``."""

from datetime import UTC, date, datetime

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cpspartners import policy, querystring
from cpspartners.applications.forms import ApplyForm, MoveForm, ThreadMessageForm
from cpspartners.consent import rules as consent_rules
from cpspartners.consent.views import consent_box
from cpspartners.extensions import db, limiter
from cpspartners.formtools import ActionForm
from cpspartners.models import Application, Opportunity, queries
from cpspartners.models.queries import page_of
from cpspartners.models.workflow import APPLICATION_STATES
from cpspartners.services import applications, audit, consent, messages
from cpspartners.services.errors import RuleBroken
from cpspartners.services.student_text import ContactDetailsFound
from cpspartners.web import form_errors_flash, page_number, run

bp = Blueprint("applications", __name__, url_prefix="/applications")


STATE_LABELS = {
    "submitted": _l("Submitted"),
    "accepted": _l("Accepted"),
    "waitlisted": _l("On the waitlist"),
    "declined": _l("Not accepted"),
    "withdrawn": _l("Withdrawn"),
    "completed": _l("Completed"),
}


@bp.app_context_processor
def apply_helpers():
    def application_box(opp):
        """What the opportunity page shows about applying, for the current visitor: the form, or
        why there is none (``applications.refusal``, the rule the service itself applies)."""
        today = date.today()
        existing = None
        if policy.is_student(current_user):
            existing = db.session.scalar(
                select(Application).where(
                    Application.opportunity_id == opp.id, Application.student_id == current_user.id
                )
            )
        if existing is not None:
            return {"mode": "applied", "application": existing}
        closed = applications.closed_reason(opp, today)
        if closed is not None:
            return {"mode": "closed", "reason": closed}
        if not policy.is_student(current_user):
            return {"mode": "sign_in" if not policy.is_signed_in(current_user) else "not_student"}
        reason = applications.refusal(current_user, opp, today)
        if reason is not None:
            return {"mode": "refused", "reason": reason}
        return {"mode": "form", "full": not opp.has_seat_left}

    return {
        "application_box": application_box,
        "new_apply_form": ApplyForm,
        "application_state_label": lambda code: STATE_LABELS.get(code, code),
    }


@bp.app_template_global()
def card_flag(opp, school=None):
    """What a result card says about applying, or None: "Closed" (for everyone), or "You cannot
    apply" with the reason, for a signed-in student or, for a visitor who chose a ``school``
    (nearest-school search), when it is offered only at other schools. A global, not a context
    processor, because the card macro is imported without the template's context."""
    today = date.today()
    closed = applications.closed_reason(opp, today)
    if closed is not None:
        return {"closed": True, "label": _l("Closed"), "reason": closed}
    if policy.is_student(current_user):
        reason = applications.refusal(current_user, opp, today)
    elif school is not None:
        reason = applications.school_refusal(opp, school.id)
    else:
        reason = None
    return None if reason is None else {"closed": False, "label": _l("You cannot apply"), "reason": reason}


@bp.route("/apply/<slug>", methods=["POST"])
@policy.requires(policy.is_student)
def apply(slug):
    opp = db.first_or_404(queries.public_opportunities().where(Opportunity.slug == slug))
    form = ApplyForm()
    if not form.validate_on_submit():
        return _apply_again(opp, form)
    try:
        application = applications.apply(
            current_user, opp, form.answer.data or "", kind=form.kind.data, send_anyway=form.send_anyway.data
        )
    except ContactDetailsFound as found:
        return _apply_again(opp, _warn(form, form.answer, found))
    except RuleBroken as refused:  # not eligible, closed, already applied: the page says why, with a 4xx
        flash(str(refused), "error")
        return render_template("directory/opportunity_detail.html", opp=opp, today=date.today()), refused.status
    if application.state == "waitlisted":
        flash(_("All places are taken, so you are on the waitlist. We will tell you if a place opens."), "info")
    elif application.kind == "interest":
        flash(_("Thank you. The partner knows you are interested."), "success")
    else:
        flash(_("Thank you. Your application was sent; the partner will answer here."), "success")
    return redirect(url_for("applications.mine"))


def _apply_again(opp, form):
    return render_template("directory/opportunity_detail.html", opp=opp, today=date.today(), apply_form=form), 400


def _warn(form, text_field, found):
    """Nothing was sent: say beside the text what contact details it holds and why they may not
    go to a partner, and offer to send it with them hidden."""
    text_field.errors = [*text_field.errors, str(found)]
    form.contact_found = found.screened
    return form


@bp.route("/mine")
@policy.requires(policy.is_student)
def mine():
    stmt = (
        applications.visible_to(current_user)
        .options(selectinload(Application.opportunity))
        .order_by(Application.created_at.desc(), Application.id.desc())
    )
    pagination = page_of(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template("applications/mine.html", pagination=pagination, action_form=ActionForm())


@bp.route("/<int:application_id>/withdraw", methods=["POST"])
@policy.requires(policy.is_student)
def withdraw(application_id):
    application = _visible(application_id)
    form = ActionForm()
    if form.validate_on_submit():
        run(applications.move, application, "withdrawn", current_user, success=_("You withdrew your application."))
    else:
        form_errors_flash(form)
    return redirect(url_for("applications.mine"))


def _visible(application_id):
    application = db.get_or_404(Application, application_id)
    if not policy.can_see_application(current_user, application):
        abort(403)
    return application


def _received_filters(args, notes):
    """``(opportunity id, state)`` from the query string; what it had to ignore goes into ``notes``."""
    bad_number = _("That opportunity number is not valid, so all opportunities are shown.")
    opp_id = querystring.number(args, "opportunity", 1, 2_000_000_000, notes, bad_number)
    unknown_state = _("That state is not known, so every state is shown.")
    state = querystring.choice(args, "state", APPLICATION_STATES, notes, unknown_state) or ""
    return opp_id, state


def _received(opp_id, state):
    """The applications this person may see, newest first, narrowed to one opportunity or state."""
    # Each row shows its listing and student: loaded for the whole page, not row by row.
    stmt = applications.visible_to(current_user).options(
        selectinload(Application.opportunity), selectinload(Application.student)
    )
    if opp_id:
        stmt = stmt.where(Application.opportunity_id == opp_id)
    if state:
        stmt = stmt.where(Application.state == state)
    return stmt.order_by(Application.created_at.desc(), Application.id.desc())


def _opportunity_menu():
    """``(id, title)`` of the opportunities whose applications this person sees, for the filter."""
    return db.session.execute(
        applications.visible_to(current_user)
        .with_only_columns(Opportunity.id, Opportunity.title)
        .distinct()
        .order_by(Opportunity.title, Opportunity.id)
        .limit(300)
    ).all()


@bp.route("/received")
@policy.requires(policy.can_list_applications)
def received():
    notes = []
    opp_id, state = _received_filters(request.args, notes)
    pagination = page_of(_received(opp_id, state), page_number(), current_app.config["PAGE_SIZE"])
    consent_rules.prime((a.student_id, a.opportunity.partner_id) for a in pagination.items)
    rows = [(applications.for_partner_view(a, current_user), a.opportunity) for a in pagination.items]
    page = render_template(
        "applications/partner_list.html",
        pagination=pagination,
        rows=rows,
        notes=notes,
        opportunities=_opportunity_menu(),
        opp_id=opp_id,
        state=state,
        states=STATE_LABELS,
    )
    # Logged once the page is built: the log commits, which would expire the rows it shows.
    shown = [a for a, (view, _opp) in zip(pagination.items, rows, strict=True) if view["details"]]
    consent.log_partner_page(current_user, shown, request.full_path.rstrip("?"), "listed")
    return page


def _partner_limit():
    return current_app.config["PARTNER_APPLICATION_LIMIT"]


def _per_account():
    return "application-reads:%s" % getattr(current_user, "id", request.remote_addr)


def _not_partner_staff():
    """The per-hour limit on applications read is the partner side's (X8: no scraping)."""
    return not policy.is_partner_staff(current_user)


def _disclose(application, action):
    """Log the disclosure (or the refusal) of one application to the reader; True when the rule
    lets them see its details."""
    where = "application %d" % application.id
    if not policy.can_see_application_details(current_user, application):
        consent.log_refusal(current_user, application, where)
        return False
    if policy.application_side(current_user, application) == "partner":
        audit.log_student_record_access(current_user, application.student, where)
        consent.log_disclosure(current_user, [application], action)
    return True


@bp.route("/<int:application_id>")
@policy.signed_in
@limiter.limit(_partner_limit, key_func=_per_account, exempt_when=_not_partner_staff)
def detail(application_id):
    application = _visible(application_id)
    side = policy.application_side(current_user, application)
    if side == "partner":
        _disclose(application, "viewed")
    return _render_detail(application, side, ThreadMessageForm(), MoveForm())


@bp.route("/<int:application_id>/download")
@policy.requires(policy.can_list_applications)
@limiter.limit(_partner_limit, key_func=_per_account, exempt_when=_not_partner_staff)
def download(application_id):
    """One application as a text file, for the partner's own records: one at a time, never a
    bulk export; refused until consent is on record, and logged as a disclosure."""
    application = _visible(application_id)
    if not _disclose(application, "downloaded"):
        abort(403)
    view = applications.for_partner_view(application, current_user)
    # Marked with who downloaded it and when (F5): a copy that travels says where it came from.
    now = format_datetime(datetime.now(UTC), "short")
    body = render_template("applications/download.txt", application=application, view=view, now=now)
    response = current_app.response_class(body, mimetype="text/plain")
    response.headers["Content-Disposition"] = "attachment; filename=application-%d.txt" % application.id
    return response


def _render_detail(application, side, message_form, move_form, status=200):
    details = policy.can_see_application_details(current_user, application)
    thread = db.session.scalars(messages.thread_of(application)).all() if details else []
    moves = [to for (frm, to), who in applications.TRANSITIONS.items() if frm == application.state and who == "partner"]
    move_form.to_state.choices = [c for c in move_form.to_state.choices if c.value in moves]
    return render_template(
        "applications/detail.html",
        application=application,
        side=side,
        thread=thread,
        district=messages.from_district(thread),
        view=applications.for_partner_view(application, current_user),
        details=details,
        consent_box=consent_box(application)
        if side == "student" or policy.can_manage_consent_records(current_user)
        else None,
        message_form=message_form,
        move_form=move_form,
        moves=moves,
        action_form=ActionForm(),
    ), status


@bp.route("/<int:application_id>/messages", methods=["POST"])
@policy.signed_in
def send_message(application_id):
    application = _visible(application_id)
    side = policy.application_side(current_user, application)
    form = ThreadMessageForm()
    try:
        if form.validate_on_submit() and run(
            messages.post,
            current_user,
            application,
            form.body.data,
            send_anyway=form.send_anyway.data,
            success=_("Your message was sent."),
            handled=(ContactDetailsFound,),
        ):
            return redirect(url_for("applications.detail", application_id=application.id) + "#messages")
    except ContactDetailsFound as found:
        _warn(form, form.body, found)
    return _render_detail(application, side, form, MoveForm(), 400)


@bp.route("/<int:application_id>/move", methods=["POST"])
@policy.requires(policy.can_list_applications)
def move(application_id):
    application = _visible(application_id)
    side = policy.application_side(current_user, application)
    form = MoveForm()
    if form.validate_on_submit():
        if run(
            applications.move,
            application,
            form.to_state.data,
            current_user,
            note=form.note.data or "",
            hours=form.hours.data,
            success=_("The application is now: %(state)s.", state=STATE_LABELS.get(form.to_state.data, "")),
        ):
            flash(_("The student has been told."), "info")
        return redirect(url_for("applications.detail", application_id=application.id))
    return _render_detail(application, side, ThreadMessageForm(), form, 400)
