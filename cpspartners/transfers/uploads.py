"""Uploaded import files kept between the dry run and the commit, and the dry run's report.

The file stays on the server (``IMPORT_UPLOAD_DIR``, by default instance/imports) under a random token that is tied to the
person who uploaded it; the browser only ever sends the token back, never the plan, and the
commit re-runs the dry run on the stored bytes. Old files are swept on every upload.
"""

import contextlib
import json
import os
import re
import secrets
import time

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


KEEP_SECONDS = 24 * 3600


def folder(base):
    os.makedirs(base, exist_ok=True)
    return base


def _path(base, user_id, token, suffix=".csv"):
    return os.path.join(folder(base), "%d-%s%s" % (int(user_id), token, suffix))


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


def discard(base, user_id, token, report=True):
    """Remove the stored upload (and, unless ``report`` is false, its report)."""
    if isinstance(token, str) and TOKEN.match(token):
        for suffix in (".csv", ".json") if report else (".csv",):
            with contextlib.suppress(FileNotFoundError):
                os.remove(_path(base, user_id, token, suffix))


def save_report(base, user_id, token, report):
    """Write the dry run's report beside the upload. Written to a temporary name and renamed, so a
    page reading it while a background check finishes sees the old report or the new, never half."""
    path = _path(base, user_id, token, ".json")
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as handle:
        json.dump(report, handle)
    os.replace(partial, path)


def load_report(base, user_id, token):
    """The report for ``token`` if it is this person's, else None."""
    if not isinstance(token, str) or not TOKEN.match(token):
        return None
    try:
        with open(_path(base, user_id, token, ".json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def sweep(base, now=None):
    """Remove uploads nobody committed within a day."""
    limit = (now or time.time()) - KEEP_SECONDS
    base = folder(base)
    for name in os.listdir(base):
        path = os.path.join(base, name)
        if name.endswith((".csv", ".json", ".partial")) and os.path.getmtime(path) < limit:
            os.remove(path)
