"""Register, sign in and out, confirm an email, reset a password, and one's own profile."""

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user

from cpspartners import jobs, partner_lookup, policy
from cpspartners.accounts import passwords, sessions
from cpspartners.accounts.auth import user_from_confirm_token, user_from_reset_token
from cpspartners.accounts.forms import (
    EnrolForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    SchoolForm,
    SignInForm,
    TwoFactorForm,
)
from cpspartners.extensions import limiter
from cpspartners.formtools import ActionForm
from cpspartners.i18n import LANG_COOKIE
from cpspartners.security import safe_next
from cpspartners.services import ServiceError
from cpspartners.services import accounts as service
from cpspartners.services import two_factor as second_factor
from cpspartners.web import form_errors_flash, run

bp = Blueprint("accounts", __name__, url_prefix="/account")


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
            passwords.spend_a_check(form.password.data)
        elif user.check_password(form.password.data) and user.is_active:
            service.renew_password_hash(user, form.password.data)
            login_user(user, remember=form.remember.data)
            sessions.start(user)
            if policy.needs_second_factor(user):
                # Signed in for the second step only: sessions.guard lets nothing else through.
                session[sessions.NEXT_KEY] = next_url
                return redirect(url_for("accounts.two_factor" if user.totp_secret else "accounts.two_factor_enrol"))
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
    return form


def _keep_this_session():
    """A new password ends every session; the one that just proved it continues, under the new
    session version (and keeps "remember me" if this browser had it), its second step passed."""
    remembered = request.cookies.get(current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token"))
    user = current_user._get_current_object()
    had_second_factor = bool(session.get(sessions.SECOND_FACTOR_KEY))
    login_user(user, remember=bool(remembered))
    if had_second_factor:
        sessions.passed(user)


def _after_second_step(user):
    next_url = safe_next(session.get(sessions.NEXT_KEY), fallback="")
    sessions.passed(user)
    flash(_("You are signed in."), "success")
    return redirect(next_url or url_for(policy.home_endpoint(user)))


def _per_account():
    return "second-factor:%s" % getattr(current_user, "id", "")


@bp.route("/two-factor", methods=["GET", "POST"])
@policy.signed_in
@limiter.limit(lambda: current_app.config["SECOND_FACTOR_LIMIT"], methods=["POST"], key_func=_per_account)
def two_factor():
    """The second step of signing in, for accounts that have enrolled an app."""
    user = current_user._get_current_object()
    if not policy.needs_second_factor(user) or sessions.has_passed(user):
        return redirect(url_for(policy.home_endpoint(user)))
    if not user.totp_secret:
        return redirect(url_for("accounts.two_factor_enrol"))
    form = TwoFactorForm()
    if form.validate_on_submit():
        if second_factor.verify(user, form.code.data):
            return _after_second_step(user)
        form.code.errors.append(_("That code is not right, or was used already. Type the code your app shows now."))
    return render_template("accounts/two_factor.html", form=form), 200 if not form.errors else 400


@bp.route("/two-factor/enrol", methods=["GET", "POST"])
@policy.signed_in
@limiter.limit(lambda: current_app.config["SECOND_FACTOR_LIMIT"], methods=["POST"], key_func=_per_account)
def two_factor_enrol():
    """Staff accounts without a second factor set one up before anything else (forced)."""
    user = current_user._get_current_object()
    if not policy.needs_second_factor(user) or user.totp_secret:
        return redirect(url_for("accounts.two_factor" if user.totp_secret else "accounts.profile"))
    # The secret waits in the signed session until a code proves the app has it.
    secret = session.get("_2fa_secret") or second_factor.new_secret()
    session["_2fa_secret"] = secret
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = second_factor.enrol(user, secret, form.code.data)
        except ServiceError as error:
            form.code.errors.append(str(error))
        else:
            session.pop("_2fa_secret", None)
            next_url = safe_next(session.get(sessions.NEXT_KEY), fallback="") or url_for(policy.home_endpoint(user))
            sessions.passed(user)
            return render_template("accounts/recovery_codes.html", codes=codes, next_url=next_url)
    uri = second_factor.provisioning_uri(user, secret)
    return render_template(
        "accounts/two_factor_enrol.html", form=form, secret=secret, uri=uri
    ), 200 if not form.errors else 400


@bp.route("/two-factor/recovery-codes", methods=["POST"])
@policy.requires(policy.needs_second_factor)
def new_recovery_codes():
    form = ActionForm()
    if not form.validate_on_submit():
        form_errors_flash(form)
        return redirect(url_for("accounts.profile"))
    codes = second_factor.new_recovery_codes(current_user)
    return render_template("accounts/recovery_codes.html", codes=codes, next_url=url_for("accounts.profile"))


@bp.route("/session", methods=["POST"])
@policy.signed_in
def session_ping():
    """ "Stay signed in": the request itself is the activity (sessions.guard); JSON for the script,
    back to the page without it."""
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"signed_in": True, "remaining": sessions.remaining(current_app.config)})
    return redirect(safe_next(request.form.get("next"), fallback=url_for(policy.home_endpoint(current_user))))


@bp.route("/session")
def session_status():
    """How long this session has left (not counted as activity), for the warning script."""
    if not policy.is_signed_in(current_user):
        return jsonify({"signed_in": False, "remaining": 0}), 401
    return jsonify({"signed_in": True, "remaining": sessions.remaining(current_app.config)})


@bp.route("/school", methods=["POST"])
@policy.requires(policy.is_student)
def change_school():
    form = SchoolForm(prefix="school")
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
