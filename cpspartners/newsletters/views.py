"""Newsletters: list, compose, edit (reorder, remove, add, note), preview, download, send; and the
families' public subscribe, confirm and unsubscribe pages."""

import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from cpspartners import policy
from cpspartners.extensions import db, limiter
from cpspartners.formtools import school_options
from cpspartners.models import CommunityArea, Newsletter, Opportunity, School
from cpspartners.models.queries import page_of, public_opportunities
from cpspartners.newsletters.forms import (
    AddListingForm,
    ItemForm,
    NewsletterForm,
    NoteForm,
    StoryForm,
    SubscribeForm,
)
from cpspartners.services import newsletter_delivery, newsletters
from cpspartners.services.errors import ServiceError
from cpspartners.text import clean_query, small_int
from cpspartners.web import page_number, run

bp = Blueprint("newsletters", __name__, url_prefix="/newsletters")
IMAGE_NAME = re.compile(r"[0-9a-f]{32}\.(png|jpg)")


def scope_problem(scope, value):
    """Why the scope value does not fit the scope (None if it does)."""
    if scope == "citywide":
        return None
    if scope == "school":
        number = small_int(value or "", 1, 2_000_000_000)
        if number is None or db.session.get(School, number) is None:
            return _("Enter the id of a CPS school.")
    elif scope == "network":
        if not value or db.session.scalar(select(func.count()).select_from(School).where(School.network == value)) == 0:
            return _("Enter the name of a CPS network exactly as in the school list.")
    elif scope == "area":
        number = small_int(value or "", 1, 77)
        if number is None or db.session.get(CommunityArea, number) is None:
            return _("Enter a community area number from 1 to 77.")
    return None


def _audience_scope_problem(form):
    """A partners' or schools' newsletter with a scope it cannot have: said beside the scope."""
    allowed = newsletters.AUDIENCE_SCOPES.get(form.audience.data)
    if allowed and form.scope.data not in allowed:
        form.scope.errors.append(newsletters.scope_refusal(form.audience.data))
        return True
    return False


@bp.route("")
@policy.requires(policy.is_specialist)
def newsletter_list():
    page = page_number()
    stmt = select(Newsletter).order_by(Newsletter.created_at.desc(), Newsletter.id.desc())
    return render_template("newsletters/list.html", pagination=page_of(stmt, page, current_app.config["PAGE_SIZE"]))


@bp.route("/new", methods=["GET", "POST"])
@policy.requires(policy.is_specialist)
def new():
    form = NewsletterForm()
    if form.validate_on_submit():
        problem = scope_problem(form.scope.data, form.scope_value.data)
        if problem:
            form.scope_value.errors.append(problem)
        elif not _audience_scope_problem(form):
            newsletter = run(
                newsletters.create_draft,
                form.subject.data,
                form.audience.data,
                form.scope.data,
                form.scope_value.data if form.scope.data != "citywide" else "",
                form.language.data,
                created_by=current_user,
            )
            if newsletter:
                flash(_("Draft created with %(n)d proposed listings.", n=len(newsletter.items)), "success")
                return redirect(url_for("newsletters.edit", newsletter_id=newsletter.id))
    return render_template("newsletters/new.html", form=form), 400 if form.errors or form.is_submitted() else 200


@bp.route("/<int:newsletter_id>")
@policy.requires(policy.is_specialist)
def edit(newsletter_id):
    newsletter = db.get_or_404(Newsletter, newsletter_id)
    query = clean_query(request.args.get("q"))
    found = []
    if query and newsletter.status == "draft":
        found = db.session.scalars(
            public_opportunities()
            .where(func.lower(Opportunity.title).contains(query.lower(), autoescape=True))
            .order_by(Opportunity.deadline, Opportunity.id)
            .limit(20)
        ).all()
    return render_template(
        "newsletters/edit.html",
        newsletter=newsletter,
        query=query,
        found=found,
        note_form=NoteForm(obj=newsletter),
        add_form=AddListingForm(),
        item_form=ItemForm(),
        story_form=StoryForm(),
    )


def _change(newsletter_id, action, success):
    newsletter = db.get_or_404(Newsletter, newsletter_id)
    try:
        action(newsletter)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(success, "success")
    return redirect(url_for("newsletters.edit", newsletter_id=newsletter.id))


@bp.route("/<int:newsletter_id>/items/<int:opp_id>/<any(up, down, remove):how>", methods=["POST"])
@policy.requires(policy.is_specialist)
def item(newsletter_id, opp_id, how):
    if not ItemForm().validate_on_submit():
        return _change(newsletter_id, lambda n: None, _("Nothing changed."))
    if how == "remove":
        return _change(newsletter_id, lambda n: newsletters.remove(n, opp_id), _("Listing removed."))
    return _change(newsletter_id, lambda n: newsletters.move(n, opp_id, -1 if how == "up" else 1), _("Listing moved."))


@bp.route("/<int:newsletter_id>/add", methods=["POST"])
@policy.requires(policy.is_specialist)
def add(newsletter_id):
    form = AddListingForm()
    if not form.validate_on_submit():
        db.get_or_404(Newsletter, newsletter_id)
        flash(
            " ".join(str(e) for e in form.opportunity_id.errors) or _("The form expired. Please submit it again."),
            "error",
        )
        return redirect(url_for("newsletters.edit", newsletter_id=newsletter_id))
    return _change(newsletter_id, lambda n: newsletters.add(n, form.opportunity_id.data), _("Listing added."))


@bp.route("/<int:newsletter_id>/note", methods=["POST"])
@policy.requires(policy.is_specialist)
def note(newsletter_id):
    newsletter = db.get_or_404(Newsletter, newsletter_id)
    form = NoteForm()
    if form.validate_on_submit():
        return _change(
            newsletter_id,
            lambda n: newsletters.set_note(n, form.subject.data, form.note.data or ""),
            _("Subject and note saved."),
        )
    return render_template(
        "newsletters/edit.html",
        newsletter=newsletter,
        query="",
        found=[],
        note_form=form,
        add_form=AddListingForm(),
        item_form=ItemForm(),
        story_form=StoryForm(),
    ), 400


@bp.route("/<int:newsletter_id>/stories", methods=["POST"])
@policy.requires(policy.is_specialist)
def add_story(newsletter_id):
    newsletter = db.get_or_404(Newsletter, newsletter_id)
    form = StoryForm()
    if form.validate_on_submit():
        upload = form.image.data
        draft = newsletters.StoryDraft(
            title=form.title.data,
            body=form.body.data,
            image=upload.read() if upload else b"",
            image_alt=form.image_alt.data or "",
            names_student=form.names_student.data,
            consent_by=form.consent_by.data or "",
            consent_confirmed=form.consent_confirmed.data,
        )
        if run(newsletters.add_story, newsletter, current_user, draft, success=_("Story added.")):
            return redirect(url_for("newsletters.edit", newsletter_id=newsletter.id))
    return render_template(
        "newsletters/edit.html",
        newsletter=newsletter,
        query="",
        found=[],
        note_form=NoteForm(obj=newsletter),
        add_form=AddListingForm(),
        item_form=ItemForm(),
        story_form=form,
    ), 400


@bp.route("/<int:newsletter_id>/stories/<int:story_id>/remove", methods=["POST"])
@policy.requires(policy.is_specialist)
def remove_story(newsletter_id, story_id):
    if not ItemForm().validate_on_submit():
        return _change(newsletter_id, lambda n: None, _("Nothing changed."))
    return _change(newsletter_id, lambda n: newsletters.remove_story(n, story_id), _("Story removed."))


@bp.route("/images/<name>")
def story_image(name):
    """A story's image, for the newsletter pages and emails (only names the site made itself)."""
    if not IMAGE_NAME.fullmatch(name):
        abort(404)
    response = send_from_directory(newsletters.image_dir(), name, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/<int:newsletter_id>/preview")
@policy.requires(policy.is_specialist)
def preview(newsletter_id):
    newsletter = db.get_or_404(Newsletter, newsletter_id)
    with force_locale(newsletter.language):
        # The same partial as the email; autoescaped, no inline style, so it is safe in the page.
        body = Markup(
            render_template(
                "email/_newsletter_body.html",
                newsletter=newsletter,
                top=2,
                items=[i.opportunity for i in newsletter.items],
                stories=list(newsletter.stories),
                lang=newsletter.language,
                unsubscribe_url="#",
            )
        )
    return render_template("newsletters/preview.html", newsletter=newsletter, body=body)


@bp.route("/<int:newsletter_id>.<any(html, txt):fmt>")
@policy.requires(policy.is_specialist)
def download(newsletter_id, fmt):
    newsletter = db.get_or_404(Newsletter, newsletter_id)
    html, text = newsletters.render(newsletter, request.host_url)
    body, mimetype = (html, "text/html") if fmt == "html" else (text, "text/plain")
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": "attachment; filename=newsletter-%d.%s" % (newsletter.id, fmt)},
    )


def _flash_queued(how, count):
    """Say when the newsletter goes out: now (a queue is running) or at the scheduled send."""
    if how == "queued":
        flash(_("Sending to %(n)d recipients has started.", n=count), "success")
    else:
        flash(
            _(
                "The newsletter will go to %(n)d recipients within minutes (the server's scheduled "
                "`flask newsletters send-pending` sends it).",
                n=count,
            ),
            "success",
        )


@bp.route("/<int:newsletter_id>/send", methods=["POST"])
@policy.requires(policy.is_specialist)
def send(newsletter_id):
    newsletter = db.get_or_404(Newsletter, newsletter_id)
    if not ItemForm().validate_on_submit():
        return redirect(url_for("newsletters.edit", newsletter_id=newsletter.id))
    try:
        how = newsletter_delivery.queue(newsletter)
    except ServiceError as error:
        flash(str(error), "error")
    else:
        _flash_queued(how, newsletter.recipient_total)
    return redirect(url_for("newsletters.edit", newsletter_id=newsletter.id))


@bp.route("/subscribe", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"])
def subscribe():
    form = SubscribeForm()
    form.school_id.choices = school_options()
    if form.validate_on_submit():
        school = form.school_id.data if form.school_id.data and db.session.get(School, form.school_id.data) else None
        newsletter_delivery.subscribe(form.email.data, form.language.data, school)
        return render_template("newsletters/subscribe_sent.html")
    return render_template("newsletters/subscribe.html", form=form), 400 if form.errors else 200


@bp.route("/confirm/<token>")
def subscribe_confirm(token):
    subscriber = newsletter_delivery.confirm(token)
    return render_template(
        "newsletters/subscribe_done.html", ok=subscriber is not None, action="confirm"
    ), 200 if subscriber else 400


@bp.route("/unsubscribe/<token>")
def unsubscribe(token):
    ok = newsletter_delivery.unsubscribe(token)
    return render_template("newsletters/subscribe_done.html", ok=ok, action="unsubscribe"), 200 if ok else 400
