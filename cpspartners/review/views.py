"""Partnership specialists: the review queue, verification, archive and restore, merging
duplicates, vetting records and the audit log. Views are thin: services do the writing."""

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm
from cpspartners.models import AuditEntry, ChangeRequest, Opportunity, Partner, VettingRecord
from cpspartners.models.queries import page_of
from cpspartners.partners.forms import OpportunityForm, PartnerForm, form_data_from
from cpspartners.partners.views import area_options
from cpspartners.review.forms import CommentForm, ExemptionForm, MergeForm, VerifyForm, VettingForm
from cpspartners.services import ServiceError, audit, feedback, listings, upkeep, vetting
from cpspartners.taxonomy import AUDIT_SUBJECTS, codes
from cpspartners.templating import field_label
from cpspartners.text import clean_query, small_int
from cpspartners.web import page_number, run

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("")
@policy.requires(policy.can_review)
def queue():
    stmt = (
        select(ChangeRequest)
        .where(ChangeRequest.status.in_(("pending", "changes_requested")))
        .order_by(ChangeRequest.status.desc(), ChangeRequest.submitted_at, ChangeRequest.id)
    )
    pagination = page_of(stmt, page_number(), current_app.config["PAGE_SIZE"])
    subjects = {(r.subject_type, r.subject_id): _subject_or_none(r) for r in pagination.items}
    return render_template("review/queue.html", pagination=pagination, subjects=subjects)


def _subject_or_none(change):
    model = Partner if change.subject_type == "partner" else Opportunity
    return db.session.get(model, change.subject_id)


@bp.route("/changes/<int:change_id>")
@policy.requires(policy.can_review)
def review(change_id):
    change, subject, blockers = _review_subject(change_id)
    return _review_page(change, subject, blockers, _gap_forms(blockers))


def _review_subject(change_id):
    """The change, what it changes, and what stops it being published (missing records)."""
    change = db.get_or_404(ChangeRequest, change_id)
    subject = _subject_or_none(change)
    if subject is None:
        abort(404)
    blockers = []
    if change.subject_type == "opportunity":
        blockers = listings.publishing_blockers(subject, audience=change.proposed.get("audience"))
    return change, subject, blockers


def _gap_forms(blockers, formdata=None):
    """One record form per missing kind, each with its own prefix so their fields keep apart."""
    forms = []
    for gap in blockers:
        form = VettingForm(formdata=formdata, prefix=gap.kind, meta={"csrf": False})
        form.kind.data = gap.kind  # the kind is the gap's, not a choice
        forms.append((gap, form))
    return forms


def _review_page(change, subject, blockers, gap_forms, status=200):
    return render_template(
        "review/review.html",
        change=change,
        subject=subject,
        rows=listings.review_rows(change),
        revisions=listings.revisions(change),
        blockers=blockers,
        gap_forms=gap_forms,
        action_form=ActionForm(),
        comment_form=CommentForm(),
    ), status


@bp.route("/changes/<int:change_id>/records", methods=["POST"])
@policy.requires(policy.is_specialist)
def add_missing_records(change_id):
    """Add the partner's missing vetting records from the review itself, and come back to it:
    the specialist approves on the same page once the records are in."""
    change, subject, blockers = _review_subject(change_id)
    if not blockers:
        return redirect(url_for("review.review", change_id=change_id))
    gap_forms = _gap_forms(blockers, request.form)
    csrf_ok = ActionForm().validate_on_submit()
    valid = [form.validate() for _gap, form in gap_forms]  # every form, so each shows its errors
    if not csrf_ok:
        flash(_("The form expired. Please submit it again."), "error")
    elif all(valid):
        try:
            upkeep.save_vetting_records(current_user, subject.partner, [form.values() for _gap, form in gap_forms])
        except ServiceError as error:
            gap_forms[0][1].expires_on.errors.append(str(error))
        else:
            flash(_("The records are saved. You can approve now."), "success")
            return redirect(url_for("review.review", change_id=change_id, _anchor="decide"))
    return _review_page(change, subject, blockers, gap_forms, 400)


@bp.route("/changes/<int:change_id>/approve", methods=["POST"])
@policy.requires(policy.can_review)
def approve(change_id):
    change = db.get_or_404(ChangeRequest, change_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("review.review", change_id=change_id))
    # The conflicting fields the reviewer chose to take from the partner; the others keep the
    # value someone else saved since the partner opened the form.
    conflicts = listings.conflicts(change) if change.is_open else []
    take = [name for name in request.form.getlist("take") if name in conflicts]
    if run(listings.approve, current_user, change, take=take, success=_("Approved and published.")):
        kept = [str(field_label(name)) for name in conflicts if name not in take]
        if kept:
            flash(_("These fields kept their current value: %(fields)s.", fields=", ".join(kept)), "info")
        return redirect(url_for("review.queue"))
    return redirect(url_for("review.review", change_id=change_id))


def _comment_action(change_id, action, success):
    change = db.get_or_404(ChangeRequest, change_id)
    form = CommentForm()
    if form.validate_on_submit():
        if run(action, current_user, change, form.comment.data, success=success):
            return redirect(url_for("review.queue"))
        return redirect(url_for("review.review", change_id=change_id))
    subject = _subject_or_none(change)
    if subject is None:
        abort(404)
    return render_template(
        "review/review.html",
        change=change,
        subject=subject,
        rows=listings.review_rows(change),
        revisions=listings.revisions(change),
        blockers=[],
        action_form=ActionForm(),
        comment_form=form,
    ), 400


@bp.route("/changes/<int:change_id>/request-changes", methods=["POST"])
@policy.requires(policy.can_review)
def request_changes(change_id):
    return _comment_action(change_id, listings.request_changes, _("The partner was asked for changes."))


@bp.route("/changes/<int:change_id>/reject", methods=["POST"])
@policy.requires(policy.can_review)
def reject(change_id):
    return _comment_action(change_id, listings.reject, _("The request was rejected."))


@bp.route("/needs-verification")
@policy.requires(policy.is_specialist)
def needs_verification():
    default = current_app.config["VERIFY_AFTER_DAYS"]
    days = small_int(request.args.get("days", ""), 1, 3650) or default
    pagination = page_of(upkeep.needs_verification(days), page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "review/needs_verification.html",
        pagination=pagination,
        days=days,
        invalid_days=bool(request.args.get("days")) and small_int(request.args.get("days", ""), 1, 3650) is None,
    )


@bp.route("/partners")
@policy.requires(policy.is_specialist)
def partner_list():
    query = clean_query(request.args.get("q"))
    stmt = select(Partner).order_by(Partner.name, Partner.id)
    if query:
        stmt = stmt.where(func.lower(Partner.name).contains(query.lower(), autoescape=True))
    pagination = page_of(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template("review/partner_list.html", pagination=pagination, query=query)


@bp.route("/partners/<int:partner_id>")
@policy.requires(policy.is_specialist)
def partner_detail(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    return render_template(
        "review/partner_detail.html",
        partner=partner,
        today=date.today(),
        opportunities=partner.opportunities.order_by(Opportunity.title).limit(200).all(),
        missing=listings.missing_vetting(partner),
        hidden_from_students=vetting.hidden_from_students,
        action_form=ActionForm(),
        verify_form=VerifyForm(),
        merge_form=MergeForm(),
        exemption_form=ExemptionForm(),
        scorecard=feedback.scorecard(partner_id=partner.id),
        responses=db.session.scalars(
            feedback.responses_visible_to(current_user, partner_id=partner.id).limit(50)
        ).all(),
    )


@bp.route("/partners/<int:partner_id>/exemption", methods=["POST"])
@policy.requires(policy.is_specialist)
def exempt_partner(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = ExemptionForm()
    if form.validate_on_submit():
        run(vetting.grant_exemption, current_user, partner, form.reason.data, success=_("The exemption is recorded."))
    else:
        for message in form.reason.errors:
            flash(str(message), "error")
    return redirect(url_for("review.partner_detail", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/exemption/remove", methods=["POST"])
@policy.requires(policy.is_specialist)
def unexempt_partner(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    if ActionForm().validate_on_submit():
        run(vetting.remove_exemption, current_user, partner, success=_("The exemption is removed."))
    return redirect(url_for("review.partner_detail", partner_id=partner.id))


def _verify(subject):
    """Record a verification of a partner or a listing from the posted form (one place for both)."""
    form = VerifyForm()
    if form.validate_on_submit():
        run(
            upkeep.verify,
            current_user,
            subject,
            form.method.data,
            form.note.data or "",
            success=_("Verification recorded."),
        )
    else:
        flash(_("The verification was not recorded: check the form."), "error")


@bp.route("/partners/<int:partner_id>/verify", methods=["POST"])
@policy.requires(policy.is_specialist)
def verify_partner(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    _verify(partner)
    return redirect(url_for("review.partner_detail", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/archive", methods=["POST"])
@policy.requires(policy.is_specialist)
def archive_partner(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    if ActionForm().validate_on_submit():
        run(upkeep.archive_partner, current_user, partner, success=_("The partner is archived."))
    return redirect(url_for("review.partner_detail", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/restore", methods=["POST"])
@policy.requires(policy.is_specialist)
def restore_partner(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    if ActionForm().validate_on_submit():
        run(upkeep.restore_partner, current_user, partner, success=_("The partner is restored."))
    return redirect(url_for("review.partner_detail", partner_id=partner.id))


@bp.route("/partners/<int:partner_id>/merge", methods=["POST"])
@policy.requires(policy.is_specialist)
def merge_partner(partner_id):
    keep = db.get_or_404(Partner, partner_id)
    form = MergeForm()
    if form.validate_on_submit():
        duplicate = db.session.get(Partner, form.duplicate_id.data)
        if duplicate is None:
            flash(_("There is no partner with that number."), "error")
        else:
            run(upkeep.merge_partners, current_user, keep, duplicate, success=_("The partners are merged."))
    else:
        for message in form.duplicate_id.errors:
            flash(str(message), "error")
    return redirect(url_for("review.partner_detail", partner_id=keep.id))


@bp.route("/opportunities/<int:opp_id>")
@policy.requires(policy.is_specialist)
def opportunity_detail(opp_id):
    opp = db.get_or_404(Opportunity, opp_id)
    return render_template(
        "review/opportunity_detail.html",
        opp=opp,
        blockers=listings.publishing_blockers(opp),
        hidden_from_students=vetting.hidden_from_students,
        action_form=ActionForm(),
        verify_form=VerifyForm(),
        pending=listings.open_request("opportunity", opp.id),
    )


@bp.route("/opportunities/<int:opp_id>/verify", methods=["POST"])
@policy.requires(policy.is_specialist)
def verify_opportunity(opp_id):
    opp = db.get_or_404(Opportunity, opp_id)
    _verify(opp)
    return redirect(url_for("review.opportunity_detail", opp_id=opp.id))


@bp.route("/opportunities/<int:opp_id>/archive", methods=["POST"])
@policy.requires(policy.is_specialist)
def archive_opportunity(opp_id):
    opp = db.get_or_404(Opportunity, opp_id)
    if ActionForm().validate_on_submit():
        run(upkeep.archive_opportunity, current_user, opp, success=_("The listing is archived."))
    return redirect(url_for("review.opportunity_detail", opp_id=opp.id))


@bp.route("/opportunities/<int:opp_id>/restore", methods=["POST"])
@policy.requires(policy.is_specialist)
def restore_opportunity(opp_id):
    opp = db.get_or_404(Opportunity, opp_id)
    if ActionForm().validate_on_submit():
        run(upkeep.restore_opportunity, current_user, opp, success=_("The listing is published again."))
    return redirect(url_for("review.opportunity_detail", opp_id=opp.id))


def _edit_form(form, obj, detail_url, template_title):
    """Shared GET/POST handling for a specialist's direct edit of a partner or opportunity."""
    if request.method == "GET":
        form.stamp(obj.version, listings.snapshot(obj))
    form.community_area_number.choices = area_options()
    page = {"obj": obj, "title": template_title, "cancel_url": detail_url}
    if form.validate_on_submit():
        try:
            listings.edit_directly(current_user, obj, form.values(), seen=form.seen())
        except listings.Stale as error:
            form = form.after_stale(error)
            form.community_area_number.choices = area_options()
            return render_template("review/edit_form.html", form=form, stale=error, **page), 409
        except ServiceError as error:
            flash(str(error), "error")
            return render_template("review/edit_form.html", form=form, **page), error.status
        flash(_("Saved and published."), "success")
        return redirect(detail_url)
    return render_template("review/edit_form.html", form=form, **page), 200 if not form.errors else 400


@bp.route("/partners/<int:partner_id>/edit", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def edit_partner(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    form = PartnerForm(data=None if request.method == "POST" else form_data_from(listings.snapshot(partner)))
    return _edit_form(
        form,
        partner,
        url_for("review.partner_detail", partner_id=partner.id),
        _("Edit %(name)s", name=partner.name),
    )


@bp.route("/opportunities/<int:opp_id>/edit", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def edit_opportunity(opp_id):
    opp = db.get_or_404(Opportunity, opp_id)
    form = OpportunityForm(data=None if request.method == "POST" else form_data_from(listings.snapshot(opp)))
    return _edit_form(
        form, opp, url_for("review.opportunity_detail", opp_id=opp.id), _("Edit %(name)s", name=opp.title)
    )


@bp.route("/partners/<int:partner_id>/vetting/new", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def new_vetting(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    return _vetting_form(partner, None)


@bp.route("/vetting/<int:record_id>/edit", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def edit_vetting(record_id):
    record = db.get_or_404(VettingRecord, record_id)
    return _vetting_form(record.partner, record)


def _vetting_form(partner, record):
    form = VettingForm(obj=record if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            upkeep.save_vetting(current_user, partner, form.values(), record)
        except ServiceError as error:
            form.expires_on.errors.append(str(error))
        else:
            flash(_("The record is saved."), "success")
            return redirect(url_for("review.partner_detail", partner_id=partner.id))
    return render_template(
        "review/vetting_form.html", form=form, partner=partner, record=record
    ), 200 if not form.errors else 400


@bp.route("/vetting/<int:record_id>/delete", methods=["POST"])
@policy.requires(policy.is_specialist)
def delete_vetting(record_id):
    record = db.get_or_404(VettingRecord, record_id)
    partner_id = record.partner_id
    if ActionForm().validate_on_submit():
        run(upkeep.delete_vetting, current_user, record, success=_("The record is deleted."))
    return redirect(url_for("review.partner_detail", partner_id=partner_id))


def audit_filters(args):
    """The audit log statement for the page's filters, and the filters as read (also for the CSV)."""
    subject_type = args.get("subject_type") if args.get("subject_type") in codes(AUDIT_SUBJECTS) else ""
    action = clean_query(args.get("action"), 40)
    actor = clean_query(args.get("actor"), 254)
    subject_id = small_int(args.get("subject_id", ""), 1, 2_000_000_000)
    import_run = small_int(args.get("import_run", ""), 1, 2_000_000_000)  # the rows one import changed
    stmt = (
        select(AuditEntry)
        .options(selectinload(AuditEntry.actor))  # to name a student actor by number (audit.shown_actor)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    if subject_type:
        stmt = stmt.where(AuditEntry.subject_type == subject_type)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if actor:
        stmt = stmt.where(audit.actor_matches(actor))
    if subject_id:
        stmt = stmt.where(AuditEntry.subject_id == subject_id)
    if import_run:
        stmt = stmt.where(AuditEntry.import_run_id == import_run)
    return stmt, {"subject_type": subject_type, "action": action, "actor": actor, "subject_id": subject_id or ""}


@bp.route("/audit")
@policy.requires(policy.can_view_audit)
def audit_log():
    stmt, selected = audit_filters(request.args)
    actions = db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)).all()
    pagination = page_of(stmt, page_number(), current_app.config["AUDIT_PAGE_SIZE"])
    return render_template(
        "review/audit.html",
        pagination=pagination,
        shown_actor=audit.shown_actor,
        shown_note=audit.shown_note,
        subject_types=AUDIT_SUBJECTS,
        actions=actions,
        selected=selected,
    )
