"""Reports off the primary: the one place that sends a report's reads to the read-only replica.

With ``REPLICA_DATABASE_URL`` set, the factory adds it to Flask-SQLAlchemy's binds as
``replica`` (``configure``), and every connection that engine opens refuses writes: PostgreSQL's
``SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`` (a real standby refuses them anyway),
SQLite's ``PRAGMA query_only``. A report view wraps its reads in ``reads()``::

    with replica.reads():
        header, rows = exports.feedback_csv(stmt)
        rows = list(rows)
    staff_exports.log_export(...)  # after the block: the audit entry goes to the primary

Inside the block ``db.session`` (``RoutingSession.get_bind``) sends every statement to the
replica, its flushes too, so a write there fails loudly instead of landing anywhere; the
request's earlier changes are flushed to the primary first. Rows the request loaded before the
block (the signed-in account, what the permission check read) stay as the primary gave them:
the session's identity map returns them as they are. On leaving, everything the session holds is
expired, so nothing read from the replica is trusted (or written back) afterwards. The
permission check (``policy.requires``) runs before the view, on the primary.

Without the setting ``reads()`` does nothing. With it, a replica that does not answer is
logged and the report reads the primary (docs/deploy.md, "A read replica for reports").
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError

log = logging.getLogger(__name__)

BIND = "replica"  # the key in SQLALCHEMY_BINDS
CONNECT_TIMEOUT = 3  # seconds: a replica that does not answer costs a report this much, then the primary
_READS_FROM = "cpspartners.reads_from"  # our key in session.info: the engine the block reads


def psycopg_url(url: str) -> str:
    """psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def configure(app: Flask) -> None:
    """Add the replica to ``SQLALCHEMY_BINDS`` when ``REPLICA_DATABASE_URL`` is set.

    The bind gets the app's engine options (``pool_pre_ping``...) and, on PostgreSQL, a short
    connect timeout, so a replica that went away costs a report seconds, not a worker."""
    url = app.config.get("REPLICA_DATABASE_URL")
    if not url:
        return
    url = psycopg_url(url)
    options: dict[str, Any] = {"url": url}
    if url.startswith("postgresql"):
        connect_args = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args") or {})
        connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT)
        options["connect_args"] = connect_args
    app.config["SQLALCHEMY_BINDS"] = {**(app.config.get("SQLALCHEMY_BINDS") or {}), BIND: options}


def init_app(app: Flask) -> None:
    """Make every connection of the replica engine read-only (after ``db.init_app``)."""
    with app.app_context():
        engine = replica_engine()
    if engine is not None:
        event.listen(engine, "connect", _refuse_writes)


def _refuse_writes(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()
        return
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.close()
    dbapi_connection.commit()  # psycopg opened a transaction for the SET: keep the setting, end it


def replica_engine() -> sa.Engine | None:
    """The app's replica engine, or None when ``REPLICA_DATABASE_URL`` is not set."""
    from cpspartners.extensions import db

    return db.engines.get(BIND)


def answers(engine: sa.Engine) -> bool:
    """The replica takes a connection and answers ``SELECT 1`` (the pool keeps the connection)."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except DBAPIError:
        return False
    return True


class RoutingSession(FlaskSession):
    """``db.session``: the bind Flask-SQLAlchemy chooses, except inside ``reads()``, where every
    statement (queries, lazy loads, flushes) goes to the replica."""

    def get_bind(
        self,
        mapper: Any | None = None,
        clause: Any | None = None,
        bind: sa.Engine | sa.Connection | None = None,
        **kwargs: Any,
    ) -> sa.Engine | sa.Connection:
        reads_from = self.info.get(_READS_FROM)
        if reads_from is not None and bind is None:
            return reads_from
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


def reading_replica() -> bool:
    """True inside a ``reads()`` block that reads the replica (for tests and logs)."""
    from cpspartners.extensions import db

    return db.session.info.get(_READS_FROM) is not None


@contextmanager
def reads() -> Iterator[None]:
    """Run the block's queries on the replica when one is configured and answers, else on the
    primary. Write nothing inside: writes (audit entries) go after the block."""
    from cpspartners.extensions import db

    engine = replica_engine()
    session = db.session()
    if engine is None or session.info.get(_READS_FROM) is not None:  # no replica, or already on it
        yield
        return
    if not answers(engine):
        log.warning("The read replica does not answer: this report reads the primary")
        yield
        return
    session.flush()  # what the request changed so far goes to the primary, not into the block
    session.info[_READS_FROM] = engine
    try:
        yield
    finally:
        session.info.pop(_READS_FROM, None)
        session.expire_all()  # what the replica said is not kept for later reads or writes
