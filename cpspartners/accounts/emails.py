"""The account emails: the confirmation link, the reset link, "you already have an account",
"your second sign-in step was reset".

They are sent by jobs (``cpspartners.jobs``), never in the request that asked for them, so a
request takes the same time and answers alike whether or not an address has an account. A job
runs with a request context on the base URL the request gave, for the links.
"""

from flask import current_app, url_for

from cpspartners.accounts.auth import make_confirm_token, make_reset_token
from cpspartners.extensions import db
from cpspartners.mail import send_email
from cpspartners.models import User
from cpspartners.services import accounts as service


def _to_account(user, template, **values):
    """Mail ``template`` to the account's owner, in the account's language."""
    return send_email(user.email, template, user.preferred_language, user=user, **values)


def send_reset_link(email):
    """Mail a reset link to ``email`` if an active account has it; otherwise nothing."""
    user = service.find_user_by_email(email)
    if user is None or not user.is_active:
        return None
    return _to_account(
        user,
        "reset",
        minutes=current_app.config["RESET_LINK_MAX_AGE"] // 60,
        link=url_for("accounts.reset", token=make_reset_token(user), _external=True),
    )


def send_confirmation(user_id):
    """Mail the link that confirms the account's address, unless it is confirmed already."""
    user = db.session.get(User, user_id)
    if user is None or user.email_confirmed_at is not None:
        return None
    return _to_account(
        user,
        "confirm",
        link=url_for("accounts.confirm", token=make_confirm_token(user), _external=True),
    )


def send_registration_email(user_id, created):
    """After a registration: a new account gets its confirmation link; an address that already had
    an account gets a message saying so, with the way to reset its password."""
    if created:
        return send_confirmation(user_id)
    user = db.session.get(User, user_id)
    if user is None:
        return None
    return _to_account(
        user,
        "already_registered",
        link=url_for("accounts.reset_request", _external=True),
    )


def send_second_factor_reset(user_id):
    """Tell the owner that an administrator reset their second sign-in step: if they did not
    ask for it, they say so at once (ASVS 6.3.7: users are told of changes to how they sign in)."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return None
    return _to_account(
        user,
        "second_factor_reset",
        link=url_for("accounts.sign_in", _external=True),
    )
