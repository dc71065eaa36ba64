"""Register, sign in and out, confirm an email, reset a password, and one's own profile."""

import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from werkzeug.security import check_password_hash, generate_password_hash

from cpspartners import jobs, partner_lookup, policy
from cpspartners.accounts.auth import user_from_confirm_token, user_from_reset_token
from cpspartners.accounts.forms import (
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    SchoolForm,
    SignInForm,
)
from cpspartners.extensions import limiter
from cpspartners.formtools import school_options
from cpspartners.i18n import LANG_COOKIE
from cpspartners.security import safe_next
from cpspartners.services import ServiceError
from cpspartners.services import accounts as service
from cpspartners.web import run

bp = Blueprint("accounts", __name__, url_prefix="/account")


_dummy_hash = []


def _waste_a_password_check(password):
    """Check against a real hash when no account matches, so a wrong address takes as long as a
    wrong password (made once, lazily, with the same scheme and cost as real hashes)."""
    if not _dummy_hash:
        _dummy_hash.append(generate_password_hash(secrets.token_hex(16), method="scrypt"))
    check_password_hash(_dummy_hash[0], password)


def _account_key():
    """Rate-limit key per account: the email typed, whoever is typing it.

    With no email typed there is no account to protect, so the key falls back to the address.
    """
    email = (request.form.get("email") or "").strip().lower()[:254]
    return "account:" + email if email else "no-account:" + get_remote_address()


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_LIMIT_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["SIGNIN_LIMIT_PER_ACCOUNT"], methods=["POST"], key_func=_account_key)
def sign_in():
    form = SignInForm()
    next_url = safe_next(request.values.get("next"), fallback="")
    if form.validate_on_submit():
        user = service.find_user_by_email(form.email.data)
        if user is None:
            _waste_a_password_check(form.password.data)
        elif user.check_password(form.password.data) and user.is_active:
            login_user(user, remember=form.remember.data)
            flash(_("You are signed in."), "success")
            return redirect(next_url or url_for(policy.home_endpoint(user)))
        # One message for every failure: it must not tell which addresses have accounts.
        form.password.errors.append(_("That email and password do not match an account."))
    return render_template("accounts/sign_in.html", form=form, next_url=next_url), 200 if not form.errors else 400


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    if policy.is_signed_in(current_user):
        service.sign_out(current_user)  # every copy of this session and its remember-me cookie too
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("directory.home"))


def _register_from(data):
    """Register from the form's data: ``(user, created)``, as ``services.accounts.register`` returns."""
    return service.register(
        data["email"],
        data["password"],
        data["role"],
        name=data["name"] or "",
        school_id=data["school_id"] or None,
        grade=data["grade"] or None,
        partner_id=data["partner_id"] or None,
        new_partner_name=data["new_partner_name"] or "",
        language=data["language"],
    )


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT"], methods=["POST"])
def register():
    form = RegisterForm()
    form.school_id.choices = school_options()
    if form.is_submitted() and form.role.data == "partner_staff" and not form.new_partner_name.data:
        partner_lookup.prepare(form.organization, form.partner_id)
    if form.validate_on_submit():
        try:
            user, created = _register_from(form.data)
        except ServiceError as error:
            form.role.errors.append(str(error))
        else:
            # Mail leaves the request: the answer is the same, and as quick, for a new address
            # and one that already has an account.
            jobs.later(jobs.send_registration_email, user.id, created, request.url_root)
            # The same words either way: the form must not reveal which addresses have accounts.
            flash(
                _("Thank you. We sent a message to that address: follow its link to confirm it, then sign in."),
                "success",
            )
            return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/register.html", form=form), 200 if not form.errors else 400


@bp.route("/confirm/<token>")
def confirm(token):
    user = user_from_confirm_token(token)
    if user is None:
        return render_template("accounts/bad_link.html"), 400
    service.confirm_email(user)
    flash(_("Thank you: your email address is confirmed."), "success")
    return redirect(url_for("accounts.profile" if current_user.is_authenticated else "accounts.sign_in"))


@bp.route("/confirm", methods=["POST"])
@policy.signed_in
def resend_confirmation():
    if current_user.email_confirmed_at is None:
        jobs.later(jobs.send_confirmation, current_user.id, request.url_root)
    flash(_("We sent the confirmation link again."), "success")
    return redirect(url_for("accounts.profile"))


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT"], methods=["POST"], key_func=_account_key)
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        # The same work for every address: one job, which looks the account up and mails it a
        # link if there is one. The answer cannot tell a known address from an unknown one.
        jobs.later(jobs.send_reset_link, form.email.data, request.url_root)
        flash(_("If an account uses that address, we sent it a link to choose a new password."), "success")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset_request.html", form=form), 200 if not form.errors else 400


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token):
    user = user_from_reset_token(token)
    if user is None:
        return render_template("accounts/bad_link.html"), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        service.reset_password(user, form.password.data)
        flash(_("Your password is changed. Sign in with the new one."), "success")
        return redirect(url_for("accounts.sign_in"))
    return render_template("accounts/reset.html", form=form), 200 if not form.errors else 400


@bp.route("", methods=["GET", "POST"])
@policy.signed_in
def profile():
    form = ProfileForm(
        obj=None if request.method == "POST" else current_user,
        data=None if request.method == "POST" else {"language": current_user.preferred_language},
    )
    password_form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        service.update_profile(current_user, form.name.data or "", form.language.data)
        flash(_("Your profile is saved."), "success")
        response = redirect(url_for("accounts.profile"))
        # The pages follow the account's language at once, not only its email.
        response.set_cookie(
            LANG_COOKIE,
            form.language.data,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
        return response
    return render_template(
        "accounts/profile.html", form=form, password_form=password_form, school_form=_school_form()
    ), 200 if not form.errors else 400


def _school_form():
    """A student's school and grade, filled in with the current ones; None for everyone else."""
    if not policy.is_student(current_user):
        return None
    form = SchoolForm(
        prefix="school", formdata=None, data={"school_id": current_user.school_id, "grade": current_user.grade}
    )
    form.school_id.choices = school_options()
    return form


def _keep_this_session():
    """A new password ends every session; the one that just proved it continues, under the new
    session version (and keeps "remember me" if this browser had it)."""
    remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    login_user(current_user._get_current_object(), remember=bool(remembered))


@bp.route("/school", methods=["POST"])
@policy.requires(policy.is_student)
def change_school():
    form = SchoolForm(prefix="school")
    form.school_id.choices = school_options()
    if form.validate_on_submit():
        if run(service.change_school, current_user, form.school_id.data, form.grade.data):
            flash(_("Your school and grade are saved. Your suggestions now follow them."), "success")
            return redirect(url_for("recommendations.recommendations"))
        return redirect(url_for("accounts.profile"))
    profile_form = ProfileForm(obj=current_user, data={"language": current_user.preferred_language}, formdata=None)
    return render_template(
        "accounts/profile.html", form=profile_form, password_form=PasswordForm(prefix="pw"), school_form=form
    ), 400


@bp.route("/password", methods=["POST"])
@policy.signed_in
def change_password():
    form = ProfileForm(obj=current_user, data={"language": current_user.preferred_language}, formdata=None)
    password_form = PasswordForm(prefix="pw")
    if password_form.validate_on_submit():
        try:
            service.change_password(current_user, password_form.current.data, password_form.password.data)
        except ServiceError as error:
            password_form.current.errors.append(str(error))
        else:
            _keep_this_session()
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form, password_form=password_form), 400
