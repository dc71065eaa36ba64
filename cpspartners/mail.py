"""Outgoing email through SMTP (standard library), or to the log when no server is set.

Messages are rendered in the recipient's preferred language. One message per call: bulk
sending belongs in a ``flask`` command or a job, never in a request.
"""

import smtplib
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale


def render_message(template, language, **context):
    """(subject, body) of ``templates/email/<template>.txt`` in ``language``.

    The first line of the template is the subject; the rest is the plain-text body.
    """
    with force_locale(language if language in current_app.config["LANGUAGES"] else "en"):
        text = render_template(f"email/{template}.txt", **context)
    subject, _, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def send_email(to, template, language="en", **context):
    """Render and send one message; returns the EmailMessage (also when only logged)."""
    config = current_app.config
    subject, body = render_message(template, language, **context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message.set_content(body)
    # After set_content, which clears every Content-* header set before it.
    message["Content-Language"] = language
    if not config.get("MAIL_SERVER"):
        current_app.logger.info("Email not sent (no MAIL_SERVER configured):\n%s", message)
        return message
    try:
        with smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"]) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        # The person's action already succeeded; a mail outage must not turn it into a 500.
        current_app.logger.exception("Could not send email %r to %s", subject, to)
    return message
