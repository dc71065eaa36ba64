"""Uploaded import files kept between the dry run and the commit.

The file stays on the server (``IMPORT_UPLOAD_DIR``, by default instance/imports) under a random token that is tied to the
person who uploaded it; the browser only ever sends the token back, never the plan, and the
commit re-runs the dry run on the stored bytes. Old files are swept on every upload.
"""

import contextlib
import os
import re
import secrets
import time

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


KEEP_SECONDS = 24 * 3600


def folder(base):
    os.makedirs(base, exist_ok=True)
    return base


def _path(base, user_id, token):
    return os.path.join(folder(base), "%d-%s.csv" % (int(user_id), token))


def save(base, user_id, raw, now=None):
    """Store ``raw`` and return its token."""
    sweep(base, now)
    token = secrets.token_urlsafe(24)
    with open(_path(base, user_id, token), "xb") as handle:
        handle.write(raw)
    return token


def load(base, user_id, token):
    """The stored bytes, or None when the token is malformed, someone else's, or gone."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    try:
        with open(_path(base, user_id, token), "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def discard(base, user_id, token):
    if isinstance(token, str) and TOKEN.match(token):
        with contextlib.suppress(FileNotFoundError):
            os.remove(_path(base, user_id, token))


def sweep(base, now=None):
    """Remove uploads nobody committed within a day."""
    limit = (now or time.time()) - KEEP_SECONDS
    base = folder(base)
    for name in os.listdir(base):
        path = os.path.join(base, name)
        if name.endswith(".csv") and os.path.getmtime(path) < limit:
            os.remove(path)
