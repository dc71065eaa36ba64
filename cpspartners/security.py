"""The security baseline every response gets, and the one check for redirect targets."""

from urllib.parse import urlsplit

from flask import request, url_for

MEMORY_STORAGE = "memory://"

# No inline script or style anywhere: every script and stylesheet comes from /static.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
        "object-src 'none'",
    )
)


def safe_next(target, fallback=None):
    """Only a path on this site: never another host, never a scheme-relative ``//host``.

    Anything else becomes ``fallback`` (the home page by default), so ``?next=`` can never be
    used to send someone from our sign-in page to a look-alike site.
    """
    default = url_for("directory.home") if fallback is None else fallback
    if not target or len(target) > 2000:
        return default
    try:
        parts = urlsplit(target)
    except ValueError:
        return default
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 32 for ch in target):
        return default
    return target


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        # Only over HTTPS: sent over plain HTTP it would be ignored, and it must never pin a dev box.
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def check_rate_limit_storage(app):
    """Rate limits hold across workers: more than one worker needs shared counters.

    Flask-Limiter's memory storage counts in each process alone, so with four workers "5 sign-ins
    a minute per account" let 9 through. Production refuses to start that way (the workers fail
    to boot and gunicorn exits, as with the default secret key); debugging or testing only warns.
    """
    workers = app.config.get("WORKERS") or 1
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or MEMORY_STORAGE)
    if not isinstance(workers, int) or workers <= 1 or not storage.startswith(MEMORY_STORAGE):
        return
    message = (
        f"Refusing to start {workers} workers with rate limits in memory: each worker would count "
        "alone, and the sign-in, reset and registration limits would let several times too many "
        "through. Set CPSPARTNERS_RATELIMIT_STORAGE_URI (or RATELIMIT_STORAGE_URI in "
        "instance/config.py) to redis://127.0.0.1:6379/1, or run one worker (docs/deploy.md, Redis)."
    )
    if app.debug or app.testing:
        app.logger.warning(message)
        return
    raise RuntimeError(message)


def init_security(app):
    check_rate_limit_storage(app)
    app.after_request(add_security_headers)
