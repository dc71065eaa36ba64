"""Configuration: defaults here, then ``instance/config.py``, then ``CPSPARTNERS_*`` variables.

The variables are read by Flask's ``Config.from_prefixed_env``: values are parsed as JSON where
they are JSON (numbers, booleans), so ``CPSPARTNERS_PAGE_SIZE=50`` is an int and
``CPSPARTNERS_SESSION_COOKIE_SECURE=false`` is False; anything else stays a string. A double
underscore sets one key of a dict: ``CPSPARTNERS_SQLALCHEMY_ENGINE_OPTIONS__pool_size=10``.
"""

import os

DEFAULT_SECRET_KEY = "dev-only-change-me"


class Defaults:
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = None  # filled in from the instance folder by the factory
    # No pool_pre_ping: connections are checked before use without a round trip when they can
    # be (cpspartners/connections.py), and pinged when idle this long or when the server spoke.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    DATABASE_PING_AFTER_IDLE_SECONDS = 10
    # A read-only copy of the database (a PostgreSQL streaming replica) for the reports: exports,
    # outcomes and the equity dashboard read it when set (cpspartners/replica.py, docs/deploy.md).
    # None: everything reads the primary. CPSPARTNERS_REPLICA_DATABASE_URL sets it.
    REPLICA_DATABASE_URL = None
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "America/Chicago"
    LANGUAGES = ("en", "es")
    PAGE_SIZE = 20
    MAX_PAGE = 10_000
    WTF_CSRF_TIME_LIMIT = 3600 * 8
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None = decided by the factory: Secure outside debug and testing (production is HTTPS).
    SESSION_COOKIE_SECURE = None
    REMEMBER_COOKIE_SECURE = None
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 30 * 24 * 3600
    # Session timeouts in seconds (ASVS 7.3.1, 7.3.2; docs/consent-and-sessions.md). Past the
    # inactivity limit, or the absolute one after signing in, the server signs the person out.
    # The page warns SESSION_WARNING_SECONDS before the inactivity limit and offers to stay
    # signed in with one key press (WCAG 2.2.1 asks for at least 20 seconds).
    SESSION_IDLE_TIMEOUT = 30 * 60
    SESSION_ABSOLUTE_TIMEOUT = 12 * 3600
    SESSION_WARNING_SECONDS = 120
    # How many applications one partner account may open or download per hour (ASVS X8).
    PARTNER_APPLICATION_LIMIT = "120 per hour"
    # Specialists' downloads of what students wrote (survey comments): per account.
    STAFF_EXPORT_LIMIT = "10 per hour"
    # Second-factor attempts per signed-in account.
    SECOND_FACTOR_LIMIT = "5 per minute;20 per hour"
    # Rate limits (Flask-Limiter syntax). Storage: memory unless CPSPARTNERS_RATELIMIT_STORAGE_URI is set.
    # Memory counts in each process alone: with more than one worker it must be shared (Redis).
    RATELIMIT_STORAGE_URI = "memory://"
    # How many processes serve the site at once. gunicorn.conf.py sets it for each worker
    # (CPSPARTNERS_WORKERS); with more than one, production refuses memory rate-limit storage.
    WORKERS = 1
    RATELIMIT_HEADERS_ENABLED = False
    SIGNIN_LIMIT_PER_ADDRESS = "20 per minute;100 per hour"
    SIGNIN_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour"
    RESET_LIMIT = "5 per minute;20 per hour"
    REGISTER_LIMIT = "10 per minute;50 per hour"
    # The app's log lines: "text" (time level logger [request id] message) or "json", one object
    # a line, for a log collector. gunicorn's access log carries the same request id.
    LOG_FORMAT = "text"
    CLAIM_LIMIT = "10 per minute;30 per hour"  # seat claim codes tried, per student account
    # The open data API (/api/hsds), per address: generous for a harvester, a brake on a runaway loop.
    HSDS_LIMIT = "300 per minute"
    # How long /api/hsds/services may reuse the public listing ids it read (writes in the same
    # process are seen at once; rows are re-read against the rule as each page is loaded).
    HSDS_LIST_SECONDS = 30
    # Signed links in emails (itsdangerous, signed with SECRET_KEY), lifetimes in seconds.
    RESET_LINK_MAX_AGE = 3600
    CONFIRM_LINK_MAX_AGE = 7 * 24 * 3600
    # A licence holder's own page: the link in each notice and reminder is made fresh, so a year covers a licence.
    LICENCE_LINK_MAX_AGE = 365 * 24 * 3600
    # Newsletter story images: where they are kept (default instance/story-images) and how big they may be.
    STORY_IMAGE_DIR = ""
    STORY_IMAGE_MAX_BYTES = 1024 * 1024
    # Outgoing mail. With no MAIL_SERVER, messages are written to the log instead of sent.
    MAIL_SERVER = ""
    MAIL_PORT = 25
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_USE_TLS = False
    MAIL_DEFAULT_SENDER = "cpspartners <no-reply@cpspartners.invalid>"
    MAIL_TIMEOUT = 10
    # A listing counts as "needs verification" when not verified for this many days.
    VERIFY_AFTER_DAYS = 180
    AUDIT_PAGE_SIZE = 50
    # Links in emails sent by commands (no request to take the host from).
    SITE_URL = "http://localhost:5000"
    # Teachers' requests unanswered for this many days are flagged to specialists.
    REQUEST_ESCALATION_DAYS = 7
    # People emailed per batch by `flask notifications send` (each batch commits).
    NOTIFICATION_BATCH_SIZE = 100
    # `flask seed users` refuses unless this is on or the app runs in debug/testing.
    DEMO_USERS = False
    # Development only: mail that no server sends is also kept for the page /dev/outbox (the last
    # OUTBOX_KEEP messages, in <instance>/dev-outbox.jsonl). The app refuses to start with it on
    # outside debug and testing, so production never shows anyone's mail on a page.
    DEV_OUTBOX = False
    OUTBOX_KEEP = 50
    HOME_CACHE_SECONDS = 60  # how long a worker keeps the home page's counts (directory/listing.py)
    # Anonymous pages kept by each worker until the directory changes, at most this long (0: off),
    # and how many bytes of them (cpspartners/pagecache.py).
    PAGE_CACHE_SECONDS = 60
    PAGE_CACHE_BYTES = 32 * 1024 * 1024
    # With several workers: Redis where they share those pages, each built once for all ("" : each
    # worker keeps its own). Keys start with PAGE_CACHE_REDIS_PREFIX; Redis may drop any at will.
    PAGE_CACHE_REDIS_URL = ""
    PAGE_CACHE_REDIS_PREFIX = "cpspartners-pages:"
    RECOMMEND_CACHE_SECONDS = 5  # how often the recommendation candidates check for directory changes
    RECOMMEND_CACHE_MAX_AGE = 900  # rebuild at least this often, so popularity catches up
    # The search index folder; None means <instance>/search-index (CPSPARTNERS_SEARCH_INDEX_DIR moves it).
    SEARCH_INDEX_DIR = None
    # Who writes the index: "inline" (each process right after its commit; `make run` needs
    # nothing more) or "follower" (web workers only read; `flask search follow` is the one
    # writer per machine, docs/deploy.md). CPSPARTNERS_SEARCH_WRITER sets it.
    SEARCH_WRITER = "inline"
    # What answers searches: "whoosh" (the embedded index folder, the default) or "postgres"
    # (PostgreSQL's full-text search, kept in the same transaction as each change: search/pg.py).
    # CPSPARTNERS_SEARCH_BACKEND sets it.
    SEARCH_BACKEND = "whoosh"
    SEARCH_FOLLOW_POLL = 5.0  # seconds between the follower's passes when no NOTIFY wakes it
    SEARCH_FOLLOW_LOOKBACK = 300.0  # seconds of outbox the follower re-reads for late commits
    # Redis for RQ jobs (newsletter sending). Empty: the Send button marks the newsletter and
    # `flask newsletters send-pending` (cron, every few minutes) sends it.
    RQ_REDIS_URL = ""
    # Days the per-recipient delivery records of a sent newsletter are kept (`flask newsletters prune`).
    NEWSLETTER_DELIVERY_KEEP_DAYS = 30
    # Where uploaded import files wait between the dry run and the commit (default: instance/imports).
    IMPORT_UPLOAD_DIR = ""
    # The largest import upload (the rest of the site keeps MAX_CONTENT_LENGTH): 100,000 rows of
    # listings with descriptions fit. Bigger files go through `flask import`.
    IMPORT_MAX_BYTES = 100 * 1024 * 1024
    # Copies of a student's records sent in answer to a request, kept as proof for
    # PRIVACY_EXPORT_KEEP_DAYS (default: instance/privacy-exports); erasing the student removes them.
    PRIVACY_EXPORT_DIR = ""
    PRIVACY_EXPORT_KEEP_DAYS = 45
    # How long a parent's emailed link to a student's copy works, in seconds.
    FAMILY_LINK_MAX_AGE = 7 * 24 * 3600
    # Uploads larger than this (about 2,500 rows) are checked in the background, not in the upload
    # request: the dry run of 100,000 rows takes tens of seconds (docs/benchmarks.md, Imports).
    IMPORT_CHECK_INLINE_BYTES = 1024 * 1024
    DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
