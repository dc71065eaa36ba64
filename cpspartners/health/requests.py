"""Request ids: one per request, in the response header and on every log line it writes.

A load balancer or proxy that sends ``X-Request-ID`` has its id kept (when it looks like an
id: letters, digits, ``-`` and ``_``, 8 to 64 of them), so one id follows a request through
the proxy's log, gunicorn's access log and the app's; otherwise the app makes one.
"""

import json
import logging
import re
import uuid

from flask import g, has_request_context, request

HEADER = "X-Request-ID"
WELL_FORMED = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def request_id():
    """This request's id ("-" outside a request: a command or a job)."""
    if not has_request_context():
        return "-"
    if "request_id" not in g:
        offered = request.headers.get(HEADER, "")
        g.request_id = offered if WELL_FORMED.match(offered) else uuid.uuid4().hex
    return g.request_id


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record, so a format can name it."""

    def filter(self, record):
        record.request_id = request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, request id, message (and the traceback)."""

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def init_app(app):
    """Request ids on responses, and the app's log lines in text or JSON (``LOG_FORMAT``)."""

    @app.after_request
    def _send_request_id(response):
        response.headers[HEADER] = request_id()
        return response

    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if app.config.get("LOG_FORMAT") == "json" else logging.Formatter(TEXT_FORMAT))
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
    app.logger.handlers = [h for h in app.logger.handlers if not getattr(h, "_cpspartners", False)]
    handler._cpspartners = True  # type: ignore[attr-defined]
    app.logger.addHandler(handler)
