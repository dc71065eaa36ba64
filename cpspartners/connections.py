"""How the site uses its database connections: few round trips, dead connections replaced.

On PostgreSQL every statement is a round trip to another process, and a public page's few
queries are quick: at 70 requests/s on two cores the server's own CPU was an eighth of the
site's, and most of a page's cost was waiting for, and switching to, its round trips
(docs/benchmarks.md). Two of them on every page carried nothing the reader sees:

- **The check before use.** SQLAlchemy's ``pool_pre_ping`` sends ``SELECT 1`` each time a
  connection leaves the pool, so that one a database restart broke is replaced instead of
  failing the next request. ``check_before_use`` keeps that promise with a look first: a
  restart, ``pg_terminate_backend`` or an idle timeout closes the server's end, which leaves the
  socket readable (the server's goodbye, or its end of file); a healthy idle connection has
  nothing to read. So the ``SELECT 1`` is sent only when the socket has something to say, or
  when the connection sat unused for ``DATABASE_PING_AFTER_IDLE_SECONDS`` (config, 10 s; a
  network that drops a connection without a word is caught there). A connection that fails
  the check is replaced, as pre-ping would (``DisconnectionError``, which the pool answers
  with a fresh connection). Drivers without a socket to look at (SQLite) are pinged each time.
- **The transaction around a public page.** psycopg opens one with ``BEGIN`` before the first
  statement and the request ends it with ``ROLLBACK``: two round trips. An anonymous reader's
  page only reads, and under READ COMMITTED each statement of a transaction already sees what
  was committed when it started, so a page read without a transaction sees exactly what it
  would inside one. ``reads_without_transaction`` runs such a page on a connection in
  autocommit, which sends neither; the pool restores the connection's isolation level when it
  goes back. A page that wrote anything there would commit each statement alone: only the
  anonymous, shared pages use it (``pagecache.shared``), and they write nothing.
"""

import logging
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy import event, exc

from cpspartners.extensions import db

log = logging.getLogger(__name__)

_RETURNED = "cpspartners.returned_at"  # our key in a pooled connection's info: when it came back


def init_app(app: Flask) -> None:
    """Check every engine's connections before use (after ``db.init_app`` and the replica's)."""
    if app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping"):
        return  # set by hand: SQLAlchemy pings every checkout already
    idle = float(app.config.get("DATABASE_PING_AFTER_IDLE_SECONDS", 10))
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        event.listen(engine, "checkin", _note_return)
        event.listen(engine, "checkout", _checker(engine, idle))


def _note_return(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info[_RETURNED] = time.monotonic()


def has_something_to_say(dbapi_connection: Any) -> bool:
    """The connection's socket is readable while idle: the server closed it or spoke unasked.
    True also when there is no socket to look at (every connection is then pinged)."""
    fileno = getattr(dbapi_connection, "fileno", None)
    if fileno is None or not hasattr(dbapi_connection, "pgconn"):
        return True
    try:
        readable, _w, _x = select.select([fileno()], [], [], 0)
    except Exception:  # closed already (psycopg raises its own error): a ping will say so
        return True
    return bool(readable)


def check_before_use(engine: sa.Engine, dbapi_connection: Any, record: Any, idle_limit: float) -> None:
    """Ping ``dbapi_connection`` if it may be dead. A dead one raises ``DisconnectionError``, and
    the pool replaces it."""
    returned = record.info.get(_RETURNED)
    if returned is None:  # never used: it was connected just now
        return
    if time.monotonic() - returned < idle_limit and not has_something_to_say(dbapi_connection):
        return
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error as error:
        if engine.dialect.is_disconnect(error, dbapi_connection, None):
            log.info("A pooled database connection was dead; replacing it")
            raise exc.DisconnectionError() from error
        raise


def _checker(engine: sa.Engine, idle_limit: float) -> Any:
    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        check_before_use(engine, dbapi_connection, record, idle_limit)

    return checkout


@contextmanager
def reads_without_transaction() -> Iterator[None]:
    """Run the block's reads on a connection in autocommit (no ``BEGIN``, no ``ROLLBACK``), and end
    the session's use of it after. For pages that only read; inside a transaction the session
    has begun already (a test's, a view that wrote), the block runs as it is."""
    from cpspartners import replica

    session = db.session()  # the request's Session (db.session is its scoped proxy)
    if session.in_transaction() or replica.reading_replica():
        yield
        return
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield
    finally:
        session.rollback()  # nothing to undo: it hands the connection back to the pool
