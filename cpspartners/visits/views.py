"""Teachers find a speaker or classroom partner and request a visit; partner staff answer in
their inbox; specialists follow up requests nobody answered. Rules: ``services.visit_requests``."""

from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm, MessageForm, options
from cpspartners.models import Opportunity, Partner, VisitRequest
from cpspartners.models.queries import page_of
from cpspartners.models.workflow import REQUEST_STATES
from cpspartners.services import messages
from cpspartners.services import visit_requests as visit_requests
from cpspartners.taxonomy import CAREER_CLUSTERS, OPPORTUNITY_KINDS
from cpspartners.text import clean_query, small_int
from cpspartners.visits import finder
from cpspartners.visits.forms import (
    AcceptForm,
    AnswerForm,
    ConfirmForm,
    DeclineForm,
    ProposeForm,
    ReassignForm,
    RequestForm,
)
from cpspartners.visits.reassign import candidates as partners_to_offer
from cpspartners.web import page_number, run

bp = Blueprint("visits", __name__, url_prefix="/visits")


STATE_LABELS = {
    "requested": _l("Waiting for the partner"),
    "proposed": _l("The partner proposed another date"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "cancelled": _l("Cancelled"),
    "completed": _l("Took place"),
    "did_not_happen": _l("Did not take place"),
}


@bp.app_context_processor
def request_helpers():
    return {"request_state_label": lambda code: STATE_LABELS.get(code, code)}


def _date_options(req):
    return options([(d.isoformat(), format_date(d, "full")) for d in req.proposed_dates])


def _visible(visit_id):
    req = db.get_or_404(VisitRequest, visit_id)
    if policy.visit_side(current_user, req) is None:
        abort(403)
    return req


FIND_MENUS = {
    "subject_options": [(code, label) for code, label, _clusters in finder.SUBJECTS],
    "cluster_options": [(code, label) for code, _name, label in CAREER_CLUSTERS],
    "grade_options": [(g, "K" if g == 0 else str(g)) for g in range(0, 13)],
    "kind_options": [(code, label) for code, label in OPPORTUNITY_KINDS if code in finder.CLASSROOM_KINDS],
}


@bp.route("/find")
@policy.requires(policy.is_teacher)
def find():
    notes = []
    criteria = finder.criteria_from(request.args, notes)
    school = current_user.school
    found = finder.search(criteria, school, page_number(), current_app.config["PAGE_SIZE"])
    if found.words_ignored:
        notes.append(_("Those words cannot be searched for (too common, or no letters), so every topic is shown."))
    return render_template(
        "visits/find.html",
        found=found,
        results=found.results,
        total=found.total,
        notes=notes,
        q=" ".join(criteria.words),
        cluster=criteria.cluster,
        subject=criteria.subject,
        grade=criteria.grade,
        kind=criteria.kind,
        school=school,
        **FIND_MENUS,
    )


def _requestable(opp_id):
    """A published classroom opportunity of an active partner, or a 404."""
    opp = db.session.get(Opportunity, opp_id) if opp_id else None
    if not finder.requestable(opp):
        abort(404)
    return opp


@bp.app_template_global()
def speaker_finder_url():
    """Where "Find a guest speaker" leads: a teacher's finder (request buttons, nearest to their
    school, speakers first), or the public list of guest speakers for everyone else."""
    if policy.is_teacher(current_user):
        return url_for("visits.find", kind="guest_speaker")
    return url_for("directory.opportunity_list", kind="guest_speaker")


@bp.app_template_global()
def visit_request_url(opp):
    """Where the signed-in teacher asks for ``opp`` as a visit, or "": every listing a teacher
    can request has the control on its page and its card (a global: cards are macros)."""
    if policy.is_teacher(current_user) and finder.requestable(opp):
        return url_for("visits.new_request", opportunity=opp.id)
    return ""


@bp.app_template_global()
def class_period(req):
    """The class period a request is for in the reader's way of writing times ("10:30–11:15",
    "10:30 AM–11:15 AM"), or "". Stored as Chicago wall-clock times: nothing to convert."""
    if req.starts_at is None:
        return ""
    start = format_time(req.starts_at, "short", rebase=False)
    return start if req.ends_at is None else "%s–%s" % (start, format_time(req.ends_at, "short", rebase=False))


def _create_request(opp, form):
    """Send the teacher's request through the service; a true value when it was created."""
    return run(
        visit_requests.create,
        current_user,
        opp.partner,
        form.topic.data,
        form.grade.data,
        form.class_size.data,
        form.dates(),
        modality=form.modality.data,
        subject=form.subject.data or "",
        message=form.message.data or "",
        opportunity=opp,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        success=_("Thank you. Your request was sent; the partner will answer here."),
    )


@bp.route("/new", methods=["GET", "POST"])
@policy.requires(policy.is_teacher)
def new_request():
    opp = _requestable(small_int(request.args.get("opportunity", ""), 1, 2_000_000_000))
    form = RequestForm(data=None if request.method == "POST" else {"topic": opp.title[:200]})
    if form.validate_on_submit() and _create_request(opp, form):
        return redirect(url_for("visits.mine"))
    return render_template("visits/request_form.html", form=form, opp=opp), 200 if not form.errors else 400


@bp.route("/mine")
@policy.requires(policy.is_teacher)
def mine():
    stmt = (
        select(VisitRequest)
        .where(VisitRequest.teacher_id == current_user.id)
        .order_by(VisitRequest.created_at.desc(), VisitRequest.id.desc())
    )
    pagination = page_of(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template("visits/list.html", pagination=pagination, side="teacher", today=date.today())


@bp.route("/received")
@policy.requires(policy.is_partner_staff)
def received():
    state = request.args.get("state", "")
    stmt = select(VisitRequest).where(VisitRequest.partner_id == current_user.partner_id)
    if state in REQUEST_STATES:
        stmt = stmt.where(VisitRequest.state == state)
    else:
        state = ""
    stmt = stmt.order_by((VisitRequest.state != "requested"), VisitRequest.created_at.desc(), VisitRequest.id.desc())
    pagination = page_of(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "visits/list.html", pagination=pagination, side="partner", today=date.today(), state=state, states=STATE_LABELS
    )


@bp.route("/<int:visit_id>")
@policy.signed_in
def detail(visit_id):
    return _render_detail(_visible(visit_id))


DETAIL_FORMS = {
    "accept_form": AcceptForm,
    "propose_form": ProposeForm,
    "decline_form": DeclineForm,
    "answer_form": AnswerForm,
    "confirm_form": ConfirmForm,
    "message_form": MessageForm,
    "reassign_form": ReassignForm,
}


def _reassign_choices(req, side, form):
    """``(partner_q, offered)``: for a specialist, the organizations the request may pass to
    (filtered by the ``partner_q`` typed), which become the reassign form's choices."""
    if side != "specialist":
        return "", []
    partner_q = clean_query(request.args.get("partner_q"))
    offered = partners_to_offer(req, partner_q)
    form.partner_id.choices = options(
        [(0, _l("Choose an organization"))] + [(partner.id, partner.name) for partner in offered]
    )
    return partner_q, offered


def _render_detail(req, status=200, **given):
    """The request's page; ``given`` holds the forms that failed, to show with their errors."""
    side = policy.visit_side(current_user, req)
    forms = {name: given.get(name) or form_class() for name, form_class in DETAIL_FORMS.items()}
    forms["accept_form"].visit_date.choices = _date_options(req)
    partner_q, offered = _reassign_choices(req, side, forms["reassign_form"])
    thread = db.session.scalars(messages.thread_of(req)).all()
    return render_template(
        "visits/detail.html",
        req=req,
        side=side,
        today=date.today(),
        partner_q=partner_q,
        offered=offered,
        thread=thread,
        district=messages.from_district(thread),
        action_form=ActionForm(),
        **forms,
    ), status


def _back(req):
    return redirect(url_for("visits.detail", visit_id=req.id))


def _action(visit_id, form_class, form_name, call, success):
    req = _visible(visit_id)
    form = form_class()
    if form_name == "accept_form":
        form.visit_date.choices = _date_options(req)
    if not form.validate_on_submit():
        return _render_detail(req, 400, **{form_name: form})
    run(call, req, form, success=success)
    return _back(req)


@bp.route("/<int:visit_id>/accept", methods=["POST"])
@policy.requires(policy.is_partner_staff)
def accept(visit_id):
    return _action(
        visit_id,
        AcceptForm,
        "accept_form",
        lambda req, form: visit_requests.accept(
            current_user, req, date.fromisoformat(form.visit_date.data), form.note.data or ""
        ),
        _("You accepted the visit. The teacher has been told."),
    )


@bp.route("/<int:visit_id>/propose", methods=["POST"])
@policy.requires(policy.is_partner_staff)
def propose(visit_id):
    return _action(
        visit_id,
        ProposeForm,
        "propose_form",
        lambda req, form: visit_requests.propose(current_user, req, form.other_date.data, form.note.data or ""),
        _("You proposed another date. The teacher has been told."),
    )


@bp.route("/<int:visit_id>/decline", methods=["POST"])
@policy.requires(policy.is_partner_staff)
def decline(visit_id):
    return _action(
        visit_id,
        DeclineForm,
        "decline_form",
        lambda req, form: visit_requests.decline(current_user, req, form.note.data),
        _("You declined the request. The teacher has been told."),
    )


@bp.route("/<int:visit_id>/answer", methods=["POST"])
@policy.requires(policy.is_teacher)
def answer(visit_id):
    return _action(
        visit_id,
        AnswerForm,
        "answer_form",
        lambda req, form: visit_requests.answer_proposal(current_user, req, form.accept.data == "yes"),
        _("Thank you. The partner has been told."),
    )


@bp.route("/<int:visit_id>/cancel", methods=["POST"])
@policy.requires(policy.is_teacher)
def cancel(visit_id):
    return _action(
        visit_id,
        ActionForm,
        "action_form",
        lambda req, form: visit_requests.cancel(current_user, req),
        _("You cancelled the request. The partner has been told."),
    )


@bp.route("/<int:visit_id>/confirm", methods=["POST"])
@policy.requires(policy.takes_part_in_visits)
def confirm(visit_id):
    return _action(
        visit_id,
        ConfirmForm,
        "confirm_form",
        lambda req, form: visit_requests.confirm(current_user, req, form.happened.data == "yes"),
        _("Thank you for confirming."),
    )


@bp.route("/<int:visit_id>/messages", methods=["POST"])
@policy.requires(policy.takes_part_in_visits)
def send_message(visit_id):
    return _action(
        visit_id,
        MessageForm,
        "message_form",
        lambda req, form: messages.post(current_user, req, form.body.data),
        _("Your message was sent."),
    )


@bp.route("/flagged")
@policy.requires(policy.is_specialist)
def flagged():
    stmt = (
        select(VisitRequest)
        .where(VisitRequest.flagged_at.is_not(None), VisitRequest.state == "requested")
        .order_by(VisitRequest.flagged_at, VisitRequest.id)
    )
    pagination = page_of(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "visits/flagged.html", pagination=pagination, days=current_app.config["REQUEST_ESCALATION_DAYS"]
    )


@bp.route("/<int:visit_id>/reassign", methods=["POST"])
@policy.requires(policy.is_specialist)
def reassign(visit_id):
    req = _visible(visit_id)
    form = ReassignForm()
    if not form.validate_on_submit():
        return _render_detail(req, 400, reassign_form=form)
    partner = db.session.get(Partner, form.partner_id.data)
    if partner is None:
        form.partner_id.errors.append(_("Choose an organization."))
        return _render_detail(req, 400, reassign_form=form)
    if run(
        visit_requests.reassign,
        current_user,
        req,
        partner,
        success=_("The request was passed to %(partner)s.", partner=partner.name),
    ):
        return redirect(url_for("visits.flagged"))
    return _back(req)
