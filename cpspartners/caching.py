"""Compressed responses, and caching headers a proxy may use on what anonymous visitors see.

Compression is Flask-Compress, gzip only (every browser takes it; brotli would be a second
code path to check for little gain on pages this size), for text above ``COMPRESS_MIN_SIZE``.

An anonymous GET answered 200 with an HTML or JSON body gets a strong ETag over its body and
``Cache-Control: public, max-age=PUBLIC_MAX_AGE``: a proxy may keep it that long, then ask again
with ``If-None-Match`` and get a 304 without the body. Everything else is left alone:
- a signed-in person's page (another person must never be handed it: the headers for those are
  the business of ``security``);
- a response that wrote to the session (a form's CSRF token, a flashed message), which would
  hand one visitor's cookie, or token, to the next.
Pages differ by language, chosen by cookie or Accept-Language, so both are in ``Vary``.
"""

from flask import request, session
from flask_compress import Compress
from flask_login import current_user

PUBLIC_MAX_AGE = 60  # seconds: a listing archived is gone from proxies within a minute
CACHED_TYPES = ("text/html", "application/json")

compress = Compress()


def init_caching(app):
    app.config.setdefault("COMPRESS_ALGORITHM", ["gzip"])
    app.config.setdefault("COMPRESS_MIN_SIZE", 1024)
    app.config.setdefault("COMPRESS_MIMETYPES", ["text/html", "text/css", "application/json", "text/javascript"])
    compress.init_app(app)
    # Registered after Flask-Compress, so it runs before it (after_request runs last-registered
    # first): the ETag is of the page itself, which Flask-Compress then marks ":gzip".
    app.after_request(public_caching)


def publicly_cacheable(response):
    """True for an anonymous visitor's plain GET whose answer is the same for every visitor."""
    return (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype in CACHED_TYPES
        and not response.is_streamed
        and not current_user.is_authenticated
        and not session.modified
        and "Set-Cookie" not in response.headers
        and "Cache-Control" not in response.headers
    )


def public_caching(response):
    if not publicly_cacheable(response):
        return response
    response.add_etag()
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}"
    response.vary.update(("Cookie", "Accept-Language"))
    return response.make_conditional(request)
