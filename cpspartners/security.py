"""The security baseline every response gets, and the one check for redirect targets."""

from urllib.parse import urlsplit

from flask import request, url_for

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


def init_security(app):
    app.after_request(add_security_headers)
