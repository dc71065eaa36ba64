"""Accounts and roles: admins manage every account; specialists approve pending staff accounts."""

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from cpspartners import jobs, partner_lookup, policy
from cpspartners.admin.forms import RoleForm
from cpspartners.extensions import db
from cpspartners.formtools import ActionForm
from cpspartners.models import User
from cpspartners.models.queries import page_of
from cpspartners.services import ServiceError, two_factor
from cpspartners.services import accounts as service
from cpspartners.services.audit import log_student_access, log_student_record_access
from cpspartners.taxonomy import PARTNER_ACTIVE, PARTNER_PENDING, ROLES, codes
from cpspartners.text import clean_query
from cpspartners.web import page_number, run

bp = Blueprint("admin", __name__, url_prefix="/admin")

PICKABLE_PARTNERS = (PARTNER_ACTIVE, PARTNER_PENDING)  # staff of a partner still in review can be linked to it


QUERY_KEY = "admin_user_query"


@bp.route("/users", methods=["GET", "POST"])
@policy.requires(policy.can_manage_users)
def users():
    """Accounts, newest first, by role and by part of an email address. The email typed is posted
    and kept in the session, never put in the address: addresses end up in access logs, browser
    history and the Referer header (ASVS V8, no personal data in URLs)."""
    role = request.args.get("role") if request.args.get("role") in codes(ROLES) else ""
    if request.method == "POST":
        form = ActionForm()
        if form.validate_on_submit():
            session[QUERY_KEY] = "" if "clear" in request.form else clean_query(request.form.get("q"), 254)
            posted_role = request.form.get("role")
            role = posted_role if posted_role in codes(ROLES) else ""
        return redirect(url_for("admin.users", role=role or None))
    query = session.get(QUERY_KEY, "") if isinstance(session.get(QUERY_KEY), str) else ""
    stmt = select(User).order_by(User.created_at.desc(), User.id.desc())
    if role:
        stmt = stmt.where(policy.accounts_with_role(role))
    if query:
        stmt = stmt.where(func.lower(User.email).contains(query.lower(), autoescape=True))
    pagination = page_of(stmt, page_number(), 50)
    page = render_template(
        "admin/users.html", pagination=pagination, role=role, query=query, roles=ROLES, search_form=ActionForm()
    )
    log_student_access(current_user, pagination.items, request.full_path.rstrip("?"))  # after: it commits
    return page


@bp.route("/pending")
@policy.requires(policy.can_approve_accounts)
def pending():
    stmt = select(User).where(policy.accounts_awaiting_approval()).order_by(User.created_at, User.id)
    page = page_number()
    return render_template("admin/pending.html", pagination=page_of(stmt, page, 50), action_form=ActionForm())


@bp.route("/users/<int:user_id>")
@policy.signed_in
def user_detail(user_id):
    user = db.get_or_404(User, user_id)
    policy.authorize(policy.can_view_user(current_user, user))
    # Staff looking at a student's account is logged (FERPA/SOPPA access log).
    log_student_record_access(current_user, user, request.path)
    form = RoleForm(
        data={
            "role": "teacher" if policy.is_student_account(user) else user.role,
            "partner": user.partner.name if user.partner else "",
            "partner_id": user.partner_id,
            "active": user.active,
        }
    )
    partner_lookup.prepare(form.partner, form.partner_id, PICKABLE_PARTNERS)
    return render_template(
        "admin/user_detail.html",
        user=user,
        form=form,
        action_form=ActionForm(),
        **_second_step(user),
    )


def _second_step(user):
    """What the account page says of the second sign-in step, and whether this reader may reset it."""
    return {
        "second_step": two_factor.is_set_up(user),
        "can_reset_second_step": policy.can_reset_second_factor(current_user, user),
    }


@bp.route("/users/<int:user_id>/approve", methods=["POST"])
@policy.requires(policy.can_approve_accounts)
def approve_user(user_id):
    user = db.get_or_404(User, user_id)
    policy.authorize(policy.can_view_user(current_user, user))
    if ActionForm().validate_on_submit():
        run(service.approve_account, current_user, user, success=_("The account is approved."))
    return redirect(url_for("admin.pending"))


@bp.route("/users/<int:user_id>/revoke", methods=["POST"])
@policy.requires(policy.can_approve_accounts)
def revoke_approval(user_id):
    """Withdraw an approval: the account acts for nobody from its next request."""
    user = db.get_or_404(User, user_id)
    policy.authorize(policy.can_view_user(current_user, user))
    if ActionForm().validate_on_submit():
        run(service.revoke_approval, current_user, user, success=_("The approval is withdrawn."))
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/role", methods=["POST"])
@policy.requires(policy.can_manage_users)
def set_role(user_id):
    user = db.get_or_404(User, user_id)
    form = RoleForm()
    if form.role.data == "partner_staff":
        partner_lookup.prepare(form.partner, form.partner_id, PICKABLE_PARTNERS)
    if form.validate_on_submit():
        partner_id = form.partner_id.data if form.role.data == "partner_staff" else None
        try:
            service.set_role(current_user, user, form.role.data, partner_id, form.active.data)
        except ServiceError as error:
            form.role.errors.append(str(error))
        else:
            flash(_("The account is saved."), "success")
            return redirect(url_for("admin.user_detail", user_id=user.id))
    return (
        render_template(
            "admin/user_detail.html",
            user=user,
            form=form,
            action_form=ActionForm(),
            **_second_step(user),
        ),
        400,
    )


@bp.route("/users/<int:user_id>/end-sessions", methods=["POST"])
@policy.requires(policy.can_manage_users)
def end_sessions(user_id):
    """Sign an account out everywhere (a lost laptop, a suspected stolen password): every session
    and remember-me cookie it has stops working on its next request."""
    user = db.get_or_404(User, user_id)
    policy.authorize(policy.can_end_sessions(current_user, user))
    if ActionForm().validate_on_submit():
        run(service.end_sessions_of, current_user, user, success=_("Every session of this account is ended."))
    return redirect(url_for("admin.user_detail", user_id=user.id))


@bp.route("/users/<int:user_id>/reset-second-factor", methods=["POST"])
@policy.requires(policy.can_manage_users)
def reset_second_factor(user_id):
    """Clear an account's second sign-in step when its owner lost the phone and the recovery
    codes: they set it up again at their next sign-in, and are told by email."""
    user = db.get_or_404(User, user_id)
    policy.authorize(policy.can_reset_second_factor(current_user, user))
    if ActionForm().validate_on_submit() and run(
        two_factor.reset,
        current_user,
        user,
        success=_("The second sign-in step is reset. The owner sets it up again at the next sign-in."),
    ):
        jobs.later(jobs.send_second_factor_reset, user.id, request.url_root)
    return redirect(url_for("admin.user_detail", user_id=user.id))
