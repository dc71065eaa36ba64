"""cpspartners: the CPS directory of community partners and experiential-learning opportunities."""

import os

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cpspartners import config, connections, replica
from cpspartners.extensions import babel, csrf, db, limiter, migrate

# The feature packages, each with a blueprint in its views.py (README, "What is where").
FEATURES = (
    "directory",
    "search",
    "accounts",
    "partners",
    "review",
    "applications",
    "visits",
    "notifications",
    "recommendations",
    "transfers",
    "newsletters",
    "pools",
    "outcomes",
    "equity",
    "calendars",
    "admin",
    "licences",
    "consent",
    "hsds",
    "records",
    "relationships",
    "events",
    "health",
    "privacy",
    "moved",
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config=None):
    """Build the app: configuration, extensions, blueprints, commands, error pages."""
    app = Flask(
        __name__,
        instance_relative_config=True,
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    configure(app, test_config)
    register_extensions(app)
    register_blueprints(app)
    register_commands(app)
    register_errorhandlers(app)
    return app


def configure(app, test_config):
    """Defaults, then instance/config.py and the environment (or the test settings), then checks."""
    app.config.from_object(config.Defaults)
    # from_object shares the class's dict: a nested CPSPARTNERS_SQLALCHEMY_ENGINE_OPTIONS__x
    # variable would otherwise change it for every app made in this process.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = dict(config.Defaults.SQLALCHEMY_ENGINE_OPTIONS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("CPSPARTNERS")  # values parsed as JSON: "false" is False
    else:
        app.config.update(test_config)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config["SQLALCHEMY_DATABASE_URI"] = _database_uri(app)
    replica.configure(app)  # REPLICA_DATABASE_URL, when set, becomes the "replica" bind
    _secure_defaults(app)


def _database_uri(app):
    """DATABASE_URL wins, else the configured URI, else SQLite in the instance folder."""
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + os.path.join(app.instance_path, "cpspartners.sqlite")
    if app.config.get("DATABASE_URL"):
        uri = app.config["DATABASE_URL"]
    return replica.psycopg_url(uri)


def _secure_defaults(app):
    """Secure-only cookies unless debugging or testing; never the default secret key in production."""
    relaxed = bool(app.debug or app.testing or app.config.get("DEBUG") or app.config.get("TESTING"))
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not relaxed
    if app.config.get("DEV_OUTBOX") and not relaxed:
        raise RuntimeError("Refusing to start with DEV_OUTBOX on outside debug and testing: it shows mail on a page.")
    unsafe = app.config["SECRET_KEY"] in (None, "", config.DEFAULT_SECRET_KEY)
    if unsafe and not relaxed:
        raise RuntimeError(
            "Refusing to start with the default SECRET_KEY: set CPSPARTNERS_SECRET_KEY "
            "or SECRET_KEY in instance/config.py."
        )


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record):
    """SQLite leaves foreign keys off unless each connection asks for them."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_extensions(app):
    """Bind the extensions, then the app's own set-up: i18n, templates, auth, security, search."""
    from cpspartners import models  # noqa: F401  (models must be imported before migrations look)
    from cpspartners.accounts.auth import init_auth
    from cpspartners.accounts.sessions import init_sessions
    from cpspartners.caching import init_caching
    from cpspartners.health.requests import init_app as init_request_ids
    from cpspartners.i18n import init_i18n
    from cpspartners.pagecache import init_app as init_pagecache
    from cpspartners.search import init_app as init_search
    from cpspartners.security import init_security
    from cpspartners.templating import init_templating

    db.init_app(app)
    replica.init_app(app)
    connections.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    init_i18n(app, babel)
    init_templating(app)
    init_auth(app)
    init_sessions(app)
    init_security(app)
    init_caching(app)
    init_search(app)
    init_pagecache(app)
    init_request_ids(app)


def register_blueprints(app):
    """One blueprint per feature; each feature's views.py names its URL prefix."""
    from importlib import import_module

    for feature in FEATURES:
        app.register_blueprint(import_module(f"cpspartners.{feature}.views").bp)
    if app.config.get("DEV_OUTBOX"):  # development only: ``_secure_defaults`` refuses it elsewhere
        app.register_blueprint(import_module("cpspartners.devmail.views").bp)


def register_commands(app):
    """The ``flask`` command groups of cli.py."""
    from cpspartners.cli import GROUPS

    for group in GROUPS:
        app.cli.add_command(group)


def register_errorhandlers(app):
    """The error pages."""
    from cpspartners.errors import init_errors

    init_errors(app)
