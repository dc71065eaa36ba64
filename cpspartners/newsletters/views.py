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
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select

from cpspartners import policy
from cpspartners.extensions import db, limiter
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
    return resolve_scope(scope, value)[1]


def _close_names(column, text, limit=5):
    """Up to ``limit`` names in ``column`` containing ``text``, for "did you mean"."""
    if not text:
        return []
    return db.session.scalars(
        select(column).where(func.lower(column).contains(text.lower(), autoescape=True)).distinct().limit(limit)
    ).all()


def _did_you_mean(message, close):
    return message + (" " + _("Did you mean: %(names)s?", names="; ".join(close)) if close else "")


def resolve_scope(scope, value):
    """``(stored value, problem)``: a school or community area chosen by its name (its number
    still works) is stored by its number, a network by its name; problem None when it fits."""
    value = (value or "").strip()
    if scope == "citywide":
        return "", None
    if scope == "school":
        number = small_int(value, 1, 2_000_000_000)
        school = db.session.get(School, number) if number else None
        if school is None and value:
            school = db.session.scalars(
                select(School).where(
                    (func.lower(School.long_name) == value.lower()) | (func.lower(School.short_name) == value.lower())
                )
            ).first()
        if school is None:
            close = _close_names(School.long_name, value)
            return value, _did_you_mean(_("Type the name of a CPS school as the school list writes it."), close)
        return str(school.id), None
    if scope == "network":
        network = db.session.scalars(select(School.network).where(func.lower(School.network) == value.lower())).first()
        if not value or not network:
            return value, _did_you_mean(_("Type the name of a CPS network."), _close_names(School.network, value))
        return network, None
    if scope == "area":
        number = small_int(value, 1, 77)
        area = db.session.get(CommunityArea, number) if number else None
        if area is None and value:
            area = db.session.scalars(
                select(CommunityArea).where(func.lower(CommunityArea.name) == value.lower())
            ).first()
        if area is None:
            close = _close_names(CommunityArea.name, value)
            return value, _did_you_mean(_("Type the name of a Chicago community area, such as Pilsen."), close)
        return str(area.number), None
    return value, None


@bp.app_template_global()
def newsletter_scope_name(newsletter):
    """The school, network or community area a newsletter goes to, by name (stored by number)."""
    value = newsletter.scope_value
    if newsletter.scope == "school" and value.isdigit():
        school = db.session.get(School, int(value))
        return school.long_name if school else value
    if newsletter.scope == "area" and value.isdigit():
        area = db.session.get(CommunityArea, int(value))
        return area.name if area else value
    return value


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
        scope_value, problem = resolve_scope(form.scope.data, form.scope_value.data)
        if problem:
            form.scope_value.errors.append(problem)
        elif not _audience_scope_problem(form):
            newsletter = run(
                newsletters.create_draft,
                form.subject.data,
                form.audience.data,
                form.scope.data,
                scope_value,
                form.language.data,
                created_by=current_user,
            )
            if newsletter:
                count = len(newsletter.items)
                flash(
                    ngettext(
                        "Draft created with %(num)d proposed listing.",
                        "Draft created with %(num)d proposed listings.",
                        count,
                    ),
                    "success",
                )
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
        flash(
            ngettext("Sending to %(num)d recipient has started.", "Sending to %(num)d recipients has started.", count),
            "success",
        )
    else:
        # The scheduled job that sends it is the server's business, not the specialist's.
        flash(
            ngettext(
                "The newsletter will go to %(num)d recipient within a few minutes.",
                "The newsletter will go to %(num)d recipients within a few minutes.",
                count,
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
    # A signed-in student or teacher subscribes for their own school unless they pick another.
    school = current_user.school_id if current_user.is_authenticated else None
    form = SubscribeForm(data={"school_id": school} if school and request.method == "GET" else None)
    if form.validate_on_submit():
        newsletter_delivery.subscribe(form.email.data, form.language.data, form.school_id.data)
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
