"""Liveness and readiness, for a load balancer or systemd's watchdog (docs/deploy.md, "Health").

``/health/live``: the process answers (nothing else is touched, so a slow database never gets a
worker restarted). ``/health/ready``: every part a request may need answers; 503 with the parts
that do not, so the balancer sends visitors elsewhere. A read replica that does not answer is
named under ``degraded`` with a 200: reports then read the primary. Neither sets a cookie or is cached.
"""

from flask import Blueprint, current_app, jsonify

from cpspartners.extensions import limiter
from cpspartners.health import checks

bp = Blueprint("health", __name__, url_prefix="/health")


def _uncached(response, status=200):
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/live")
@limiter.exempt
def live():
    return _uncached(jsonify(status="ok"))


@bp.route("/ready")
@limiter.exempt
def ready():
    failing, degraded = checks.readiness(current_app), checks.degraded(current_app)
    extra = {"degraded": degraded} if degraded else {}
    if failing:
        return _uncached(jsonify(status="unavailable", failing=failing, **extra), 503)
    return _uncached(jsonify(status="degraded" if degraded else "ok", **extra))
