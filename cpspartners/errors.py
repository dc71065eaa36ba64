"""Friendly error pages in the reader's language, with the right status code."""

from flask import render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from cpspartners.extensions import db
from cpspartners.services.errors import ServiceError

MESSAGES = {
    400: lambda: _("The request could not be understood. Please check the address or the form and try again."),
    403: lambda: _("You do not have permission to see this page."),
    404: lambda: _("We could not find that page. It may have moved, or the address may be mistyped."),
    405: lambda: _("That action is not allowed here."),
    413: lambda: _("What you sent is too large."),
    429: lambda: _("Too many attempts. Please wait a moment and try again."),
}


def service_refused(error):
    """A refusal no view caught: its own status and message (in the reader's language), not a 500."""
    db.session.rollback()
    return render_template("errors/error.html", code=error.status, message=str(error)), error.status


def init_errors(app):
    app.register_error_handler(ServiceError, service_refused)

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        message = _("This form expired or did not come from this site. Go back, reload the page and try again.")
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def http_error(error):
        if error.response is not None:  # e.g. the redirect to sign in raised by policy.authorize
            return error.response
        code = error.code or 500
        if code >= 500:
            return server_error(error)
        message = MESSAGES.get(code, lambda: error.description)()
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(Exception)
    def server_error(error):
        app.logger.exception("Unhandled error on %s", request.path)
        db.session.rollback()
        return render_template("errors/500.html"), 500
