"""Flask-Login wiring and the signed, expiring links we email (itsdangerous + SECRET_KEY)."""

import hashlib

from flask import current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from cpspartners.extensions import db, login_manager

RESET_SALT = "cpspartners.reset-password"


CONFIRM_SALT = "cpspartners.confirm-email"


def init_auth(app):
    login_manager.init_app(app)
    login_manager.login_view = "accounts.sign_in"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id):
        return user_from_session_id(user_id)

    @login_manager.unauthorized_handler
    def unauthorized():
        # A relative path only: safe_next checks it again on the way back.
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))


def user_from_session_id(session_id):
    """The account a session or remember-me cookie names (``User.get_id``: "id:version"), or None
    when the version is not the account's current one (signed out, new password, role changed,
    switched off, approval revoked) or the account is switched off. Ids without a version, from
    before versions existed, are refused too: their owners sign in once more."""
    from cpspartners import policy
    from cpspartners.models import User

    user_id, _, version = str(session_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and version.isascii() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or (user.session_version or 0) != int(version) or not policy.is_signed_in(user):
        return None
    return user


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _fingerprint(user):
    """Changes whenever the password does, so a used reset link stops working."""
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def make_reset_token(user):
    return _serializer(RESET_SALT).dumps({"id": user.id, "fp": _fingerprint(user)})


def make_confirm_token(user):
    return _serializer(CONFIRM_SALT).dumps({"id": user.id, "email": user.email})


def _load(salt, token, max_age):
    """The payload, or None for a link that is tampered with, expired or malformed."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except (SignatureExpired, BadSignature, ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def sign(salt, payload):
    """A timed, signed link token for ``payload`` (a dict): the same machinery as the account
    confirmation links, for other confirmations (a family's licence request)."""
    return _serializer(salt).dumps(payload)


def signed_payload(salt, token, max_age):
    """What ``sign`` put in a token, or None for a tampered, expired or malformed one."""
    return _load(salt, token, max_age)


def user_from_reset_token(token):
    from cpspartners.models import User

    data = _load(RESET_SALT, token, current_app.config["RESET_LINK_MAX_AGE"])
    user = db.session.get(User, data.get("id")) if data and isinstance(data.get("id"), int) else None
    if user is None or data.get("fp") != _fingerprint(user):
        return None
    return user


def user_from_confirm_token(token):
    from cpspartners.models import User

    data = _load(CONFIRM_SALT, token, current_app.config["CONFIRM_LINK_MAX_AGE"])
    user = db.session.get(User, data.get("id")) if data and isinstance(data.get("id"), int) else None
    if user is None or data.get("email") != user.email:
        return None
    return user
