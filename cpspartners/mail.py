"""Outgoing email through SMTP (standard library), or to the log when no server is set.

Messages are rendered in the recipient's preferred language. One message per call: bulk
sending belongs in a ``flask`` command or a job, never in a request; there ``send_batch``
sends many prepared messages over one SMTP connection.
"""

import json
import os
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
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    if not config.get("MAIL_SERVER"):
        # Logs carry no addresses and no bodies (they hold names and links): the subject only, as a
        # warning so it shows under `make run`; the message itself goes to the development outbox
        # (/dev/outbox, when DEV_OUTBOX is on) and, in debug, to the debug log.
        if current_app.debug:
            current_app.logger.debug("Email not sent (no MAIL_SERVER configured):\n%s", message.get_content())
        current_app.logger.warning("Email not sent (no MAIL_SERVER configured): %r", subject)
        keep_in_dev_outbox(message)
        return message
    try:
        with _connect(config) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException):
        # The person's action already succeeded; a mail outage must not turn it into a 500.
        current_app.logger.exception("Could not send email %r", subject)
    return message


def outbox_path():
    return os.path.join(current_app.instance_path, "dev-outbox.jsonl")


def keep_in_dev_outbox(message):
    """In development (``DEV_OUTBOX``), keep the message for /dev/outbox: a file, so a job run in
    another process shows there too; only the last ``OUTBOX_KEEP`` are kept."""
    if not current_app.config.get("DEV_OUTBOX"):
        return
    part = message.get_body(("plain",)) if message.is_multipart() else message
    entry = {
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "language": str(message["Content-Language"] or ""),
        "body": part.get_content() if part is not None else "",
    }
    path = outbox_path()
    kept = read_dev_outbox()[-(current_app.config["OUTBOX_KEEP"] - 1) :] if os.path.exists(path) else []
    with open(path, "w", encoding="utf-8") as handle:
        for item in [*kept, entry]:
            handle.write(json.dumps(item) + "\n")


def read_dev_outbox():
    """The kept messages, oldest first; none when the file is missing or unreadable."""
    try:
        with open(outbox_path(), encoding="utf-8") as handle:
            return [json.loads(line) for line in handle if line.strip()]
    except (OSError, ValueError):
        return []


def _connect(config):
    """An SMTP connection, with TLS and a login when the settings ask for them."""
    smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config["MAIL_PORT"]), timeout=config["MAIL_TIMEOUT"])
    if config.get("MAIL_USE_TLS"):
        smtp.starttls()
    if config.get("MAIL_USERNAME"):
        smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD", ""))
    return smtp


def build_message(to, subject, text, html=None, language="en", headers=None):
    """An EmailMessage: plain text, and an HTML alternative when given."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    # After the body: making the message multipart moves Content-* headers into the first part.
    message["Content-Language"] = language
    return message


def _log_batch(messages, on_result):
    """With no mail server, each message is logged and counts as accepted."""
    for message in messages:
        current_app.logger.warning("Email not sent (no MAIL_SERVER configured): %r", message["Subject"])
        keep_in_dev_outbox(message)
        if on_result:
            on_result(message, True)
    return len(messages)


def _send_one(smtp, message):
    """True when the server accepted ``message``, False when it refused the address."""
    try:
        smtp.send_message(message)
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError):
        if smtp.sock is None:  # a 421 answer: the server closed the connection, not this address's fault
            raise
        current_app.logger.exception("Refused: %r", message["Subject"])
        return False
    return True


def send_batch(messages, on_result=None):
    """Send prepared messages over one SMTP connection. Returns how many were accepted.

    ``on_result(message, accepted)`` is called as soon as the server answers for each message,
    so a caller can record what went out even when the connection drops later in the batch.
    A refused address is logged and skipped (``accepted`` False); losing the connection raises
    and stops the batch (the caller decides whether to retry the rest).
    """
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return _log_batch(messages, on_result)
    sent = 0
    with _connect(config) as smtp:
        for message in messages:
            accepted = _send_one(smtp, message)
            sent += accepted
            if on_result:
                on_result(message, accepted)
    return sent
