"""Configuration: defaults here, then ``instance/config.py``, then ``CPSPARTNERS_*`` variables.

Environment values are parsed as JSON where they look like JSON (numbers, booleans), so
``CPSPARTNERS_PAGE_SIZE=50`` is an int and ``CPSPARTNERS_TESTING=true`` a bool.
"""

import json
import os

DEFAULT_SECRET_KEY = "dev-only-change-me"


class Defaults:
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled in from the instance folder by the factory
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "America/Chicago"
    LANGUAGES = ("en", "es")
    PAGE_SIZE = 20
    MAX_PAGE = 10_000
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # The search index folder; None means <instance>/search-index (CPSPARTNERS_SEARCH_INDEX_DIR moves it).
    SEARCH_INDEX_DIR = None
    DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def from_environment(prefix="CPSPARTNERS_"):
    """Return the settings found in ``CPSPARTNERS_*`` environment variables, prefix stripped."""
    found = {}
    for name, raw in os.environ.items():
        if not name.startswith(prefix) or name == prefix + "TEST_DATABASE_URL":
            continue
        key = name[len(prefix):]
        try:
            value = json.loads(raw)
        except ValueError:
            value = raw
        found[key] = value
    return found
