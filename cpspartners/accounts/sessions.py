"""Sessions: the second-factor gate, the inactivity and absolute timeouts, and no-store.

Every request of a signed-in person passes ``guard`` first:

- **Timeouts** (ASVS 7.3.1, 7.3.2). The session (a signed cookie) carries when it started and
  when it was last used. Past ``SESSION_IDLE_TIMEOUT`` seconds without a request, or
  ``SESSION_ABSOLUTE_TIMEOUT`` seconds after signing in, the person is signed out on the server's
  word, whatever the page's script did. ``static/js/session-timeout.js`` warns
  ``SESSION_WARNING_SECONDS`` before the inactivity limit and offers "Stay signed in" (WCAG 2.2.1).
- **Second factor** (ASVS 6.3.2). Accounts ``policy.needs_second_factor`` names reach nothing but
  the second-factor pages and signing out until this session passed the second step
  (``SECOND_FACTOR_KEY`` holds the account's session id) or, without a secret yet, enrolled one.
  A remember-me cookie restores the password step only: the second step is asked again.

Every response to a signed-in person is ``Cache-Control: no-store`` (ASVS 14.3.2).
"""

import time

from flask import flash, g, has_request_context, jsonify, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from cpspartners import policy

SECOND_FACTOR_KEY = "_2fa"
STARTED_KEY = "_started"
SEEN_KEY = "_seen"
NEXT_KEY = "_2fa_next"
# What a signed-in account waiting for its second step may still reach.
BEFORE_SECOND_FACTOR = {
    "static",
    "accounts.two_factor",
    "accounts.two_factor_enrol",
    "accounts.sign_out",
    "accounts.session_status",
    "directory.set_language",
}
# Asking how long is left must not count as activity.
NOT_ACTIVITY = {"accounts.session_status"}


def start(user, passed_second_factor=False):
    """A new sign-in: the clocks restart, and the second step is passed or still due."""
    now = time.time()
    session[STARTED_KEY] = now
    session[SEEN_KEY] = now
    session.pop(SECOND_FACTOR_KEY, None)
    if passed_second_factor:
        passed(user)


def passed(user):
    """This session passed the second step for ``user`` (as their session id names them now)."""
    session[SECOND_FACTOR_KEY] = user.get_id()
    session.pop(NEXT_KEY, None)


def has_passed(user):
    return session.get(SECOND_FACTOR_KEY) == user.get_id()


def remaining(config, now=None):
    """Seconds before this session ends of inactivity or of age, whichever comes first."""
    now = now if now is not None else time.time()
    seen = session.get(SEEN_KEY, now)
    started = session.get(STARTED_KEY, now)
    idle = config["SESSION_IDLE_TIMEOUT"] - (now - seen)
    absolute = config["SESSION_ABSOLUTE_TIMEOUT"] - (now - started)
    return max(0, int(min(idle, absolute)))


def _expired(config, now):
    started, seen = session.get(STARTED_KEY), session.get(SEEN_KEY)
    if started is None:
        return False
    if now - started > config["SESSION_ABSOLUTE_TIMEOUT"]:
        return True
    return seen is not None and now - seen > config["SESSION_IDLE_TIMEOUT"]


def _end(config):
    logout_user()
    for key in (STARTED_KEY, SEEN_KEY, SECOND_FACTOR_KEY, NEXT_KEY):
        session.pop(key, None)
    if request.endpoint in NOT_ACTIVITY or request.endpoint == "accounts.session_ping":
        return jsonify({"signed_in": False, "remaining": 0}), 401
    flash(_("You were signed out because the session ended. Please sign in again."), "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("accounts.sign_in", next=target))


def guard():
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    from flask import current_app

    config = current_app.config
    g.signed_in_request = True
    now = time.time()
    if _expired(config, now):
        return _end(config)
    session.setdefault(STARTED_KEY, now)
    if request.endpoint not in NOT_ACTIVITY:
        session[SEEN_KEY] = now
    if policy.needs_second_factor(current_user) and not has_passed(current_user):
        if request.endpoint in BEFORE_SECOND_FACTOR:
            return None
        if request.method == "GET" and NEXT_KEY not in session:
            session[NEXT_KEY] = request.full_path.rstrip("?")
        enrolled = bool(current_user.totp_secret)
        return redirect(url_for("accounts.two_factor" if enrolled else "accounts.two_factor_enrol"))
    return None


def no_store(response):
    """Nothing a signed-in person was shown is kept by the browser's or a proxy's cache."""
    if getattr(g, "signed_in_request", False) or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
        response.vary.add("Cookie")
    return response


def init_sessions(app):
    app.before_request(guard)
    app.after_request(no_store)

    @app.context_processor
    def session_timing():
        # E-mails are rendered by commands too, where there is no request and no current_user.
        if not has_request_context() or not current_user.is_authenticated:
            return {"session_timing": None}
        return {
            "session_timing": {
                "idle": app.config["SESSION_IDLE_TIMEOUT"],
                "warn": app.config["SESSION_WARNING_SECONDS"],
            }
        }
