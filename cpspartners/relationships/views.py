"""The specialist's relationships pages: a partner's or prospect's log of contacts, "My
follow-ups", the outreach pipeline, and their CSV exports. Thin: the rules are in
``services.relationships``, the permissions in ``policy``."""

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from cpspartners import policy
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm
from cpspartners.models import Contact, FollowUp, Partner, Prospect, User
from cpspartners.models.queries import page_of
from cpspartners.relationships.forms import ContactForm, ProspectForm
from cpspartners.services import ServiceError, relationships
from cpspartners.taxonomy import PROSPECT_STAGES
from cpspartners.web import csv_download, page_number, run

bp = Blueprint("relationships", __name__, url_prefix="/relationships")
EXPORT_LIMIT = 20_000


@bp.app_context_processor
def relationship_log():
    def contacts_with(organisation, limit=50):
        """The latest contacts with a partner or prospect (the review page's log)."""
        if not policy.keeps_relationships(current_user):
            return []
        return db.session.scalars(relationships.contacts_of(organisation).limit(limit)).all()

    return {"contacts_with": contacts_with}


def _people(partner):
    """(attendees, owners) for the contact form: specialists, and the partner's own staff."""
    specialists = db.session.scalars(select(User).where(policy.specialist_accounts()).order_by(User.email)).all()
    owners = [(u.id, u.display_name) for u in specialists]
    attendees = list(owners)
    if partner is not None:
        staff = db.session.scalars(select(User).where(policy.staff_of(partner.id)).order_by(User.email)).all()
        attendees += [(u.id, _("%(name)s (partner staff)", name=u.display_name)) for u in staff]
    return attendees, owners


def _contact_form(organisation, partner, back):
    form = ContactForm()
    form.set_people(*_people(partner))
    if form.validate_on_submit():
        drafts = [relationships.FollowUpDraft(task, due, owner) for task, due, owner in form.drafts()]
        try:
            relationships.log_contact(
                current_user,
                organisation,
                form.kind.data,
                form.held_on.data,
                form.staff_ids.data or [],
                form.partner_attendees.data or "",
                form.notes.data or "",
                drafts,
            )
        except ServiceError as error:
            form.kind.errors = [*form.kind.errors, str(error)]
        else:
            flash(_("The contact is in the log."), "success")
            return redirect(back)
    return render_template(
        "relationships/contact_form.html", form=form, organisation=organisation, back=back
    ), 400 if form.errors else 200


@bp.route("/partners/<int:partner_id>/contacts/new", methods=["GET", "POST"])
@policy.requires(policy.keeps_relationships)
def new_partner_contact(partner_id):
    partner = db.get_or_404(Partner, partner_id)
    return _contact_form(partner, partner, url_for("review.partner_detail", partner_id=partner.id) + "#contacts")


@bp.route("/prospects/<int:prospect_id>/contacts/new", methods=["GET", "POST"])
@policy.requires(policy.keeps_relationships)
def new_prospect_contact(prospect_id):
    prospect = db.get_or_404(Prospect, prospect_id)
    return _contact_form(prospect, None, url_for("relationships.prospect_detail", prospect_id=prospect.id))


@bp.route("/follow-ups")
@policy.requires(policy.keeps_relationships)
def my_follow_ups():
    pagination = page_of(relationships.open_follow_ups(current_user), page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "relationships/follow_ups.html", pagination=pagination, today=date.today(), form=ActionForm()
    )


@bp.route("/follow-ups/<int:follow_up_id>/done", methods=["POST"])
@policy.requires(policy.keeps_relationships)
def follow_up_done(follow_up_id):
    follow_up = db.get_or_404(FollowUp, follow_up_id)
    if ActionForm().validate_on_submit():
        run(relationships.complete_follow_up, current_user, follow_up, success=_("Marked as done."))
    return redirect(url_for("relationships.my_follow_ups"))


@bp.route("/prospects")
@policy.requires(policy.keeps_relationships)
def prospects():
    stmt = select(Prospect).order_by(Prospect.updated_at.desc(), Prospect.id.desc())
    pagination = page_of(stmt, page_number(), current_app.config["PAGE_SIZE"])
    return render_template(
        "relationships/prospects.html",
        pagination=pagination,
        counts=relationships.pipeline_counts(),
        stages=PROSPECT_STAGES,
    )


@bp.route("/prospects/new", methods=["GET", "POST"])
@policy.requires(policy.keeps_relationships)
def new_prospect():
    form = ProspectForm()
    if form.validate_on_submit():
        prospect = run(
            relationships.create_prospect,
            current_user,
            form.name.data,
            form.kind.data,
            form.contact_name.data or "",
            form.contact_email.data or "",
            form.notes.data or "",
            success=_("The organization is in the pipeline."),
        )
        if prospect:
            return redirect(url_for("relationships.prospect_detail", prospect_id=prospect.id))
    return render_template("relationships/prospect_form.html", form=form), 400 if form.errors else 200


@bp.route("/prospects/<int:prospect_id>")
@policy.requires(policy.keeps_relationships)
def prospect_detail(prospect_id):
    prospect = db.get_or_404(Prospect, prospect_id)
    return render_template(
        "relationships/prospect_detail.html",
        prospect=prospect,
        next_stage=relationships.next_stage(prospect),
        contacts=db.session.scalars(relationships.contacts_of(prospect).limit(100)).all(),
        form=ActionForm(),
        today=date.today(),
    )


@bp.route(
    "/prospects/<int:prospect_id>/stage/<any(conversation, proposal, agreement, vetting, active, closed):stage>",
    methods=["POST"],
)
@policy.requires(policy.keeps_relationships)
def advance(prospect_id, stage):
    prospect = db.get_or_404(Prospect, prospect_id)
    if ActionForm().validate_on_submit():
        run(relationships.advance, current_user, prospect, stage, success=_("The step is recorded."))
    return redirect(url_for("relationships.prospect_detail", prospect_id=prospect_id))


@bp.route("/contacts.csv")
@policy.requires(policy.keeps_relationships)
def contacts_csv():
    contacts = db.session.scalars(
        select(Contact).order_by(Contact.held_on.desc(), Contact.id.desc()).limit(EXPORT_LIMIT)
    ).all()
    return csv_download("contacts.csv", *relationships.contacts_csv(contacts))


@bp.route("/follow-ups.csv")
@policy.requires(policy.keeps_relationships)
def follow_ups_csv():
    follow_ups = db.session.scalars(select(FollowUp).order_by(FollowUp.due_on, FollowUp.id).limit(EXPORT_LIMIT)).all()
    return csv_download("follow-ups.csv", *relationships.follow_ups_csv(follow_ups, date.today()))


@bp.route("/prospects.csv")
@policy.requires(policy.keeps_relationships)
def prospects_csv():
    prospects = db.session.scalars(select(Prospect).order_by(Prospect.name).limit(EXPORT_LIMIT)).all()
    return csv_download("prospects.csv", *relationships.prospects_csv(prospects))
