"""Connections checked before use without a round trip, and public pages read without a
transaction (cpspartners/connections.py)."""

import time

import psycopg
import pytest
from sqlalchemy import event, exc

from cpspartners import connections
from cpspartners.extensions import db
from tests.conftest import PG_URL, sign_in_as


def on_postgres(test):
    """PostgreSQL's suite only: a socket to look at, a backend to end, libpq's trace."""
    marked = pytest.mark.postgres(test)
    return pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: its connections are sockets")(marked)


class Quiet:
    """A driver connection with nothing to look at: no socket (as SQLite's)."""


def test_a_connection_without_a_socket_is_always_checked():
    assert connections.has_something_to_say(Quiet())


def pinged(monkeypatch, engine):
    """Count the pings ``check_before_use`` sends through the dialect."""
    sent = []
    real = engine.dialect.do_ping

    def ping(dbapi_connection):
        sent.append(dbapi_connection)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    return sent


def use_once(engine):
    with engine.connect() as connection:
        return connection.exec_driver_sql("SELECT pg_backend_pid()").scalar()


@on_postgres
def test_a_connection_used_a_moment_ago_is_not_pinged_one_idle_long_is(app, monkeypatch):
    db.session.remove()  # the test's session holds no connection: the pool's one is idle
    engine = db.engine
    sent = pinged(monkeypatch, engine)
    first = use_once(engine)
    assert use_once(engine) == first and use_once(engine) == first  # the pool's one connection
    assert sent == []
    record = engine.pool._pool.queue[-1]  # the idle connection's record: made to look long idle
    record.info[connections._RETURNED] -= app.config["DATABASE_PING_AFTER_IDLE_SECONDS"] + 1
    assert use_once(engine) == first
    assert len(sent) == 1


def terminate(pid):
    """End a backend from outside, as a restart or an administrator would, and wait (at most 5 s)
    until its client's socket has the server's goodbye to read."""
    url = db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


def wait_until_readable(engine):
    record = engine.pool._pool.queue[-1]
    deadline = time.monotonic() + 5
    while not connections.has_something_to_say(record.dbapi_connection) and time.monotonic() < deadline:
        time.sleep(0.02)


@on_postgres
def test_a_connection_the_server_ended_is_replaced_before_the_next_page(app, client):
    engine = db.engine
    db.session.remove()  # the test's session holds no connection: the pool's one is idle
    pid = use_once(engine)
    terminate(pid)
    wait_until_readable(engine)
    assert use_once(engine) != pid  # a fresh connection, and no error
    db.session.remove()
    terminate(use_once(engine))
    wait_until_readable(engine)
    assert client.get("/opportunities").status_code == 200


@on_postgres
def test_without_the_look_a_dead_connection_fails_its_next_use(app, monkeypatch):
    """The test above can fail: skip the look and the ended connection is used, and breaks."""
    engine = db.engine
    db.session.remove()
    pid = use_once(engine)
    terminate(pid)
    wait_until_readable(engine)
    monkeypatch.setattr(connections, "has_something_to_say", lambda _connection: False)
    with pytest.raises(exc.OperationalError):
        use_once(engine)


def isolation_of_each_statement(engine):
    seen = []

    def note(conn, _cursor, statement, *_args):
        seen.append((conn.get_execution_options().get("isolation_level"), statement))

    event.listen(engine, "before_cursor_execute", note)
    return seen, lambda: event.remove(engine, "before_cursor_execute", note)


@pytest.mark.parametrize("kept", [False, True])
def test_an_anonymous_page_reads_without_a_transaction(app, client, make_opportunity, kept):
    app.config["PAGE_CACHE_SECONDS"] = 60 if kept else 0
    make_opportunity(title="Robotics lab")
    db.session.commit()
    client.get("/opportunities")
    seen, stop = isolation_of_each_statement(db.engine)
    try:
        page = client.get("/opportunities")
    finally:
        stop()
    assert page.status_code == 200 and "Robotics lab" in page.get_data(as_text=True)
    assert seen and {level for level, _sql in seen} == {"AUTOCOMMIT"}, seen
    # The connection went back to the pool as it was: what runs next is in a transaction again.
    with db.engine.connect() as connection:
        assert connection.get_execution_options().get("isolation_level") is None
        assert connection.get_isolation_level() != "AUTOCOMMIT"
    assert not db.session().in_transaction()


def test_a_signed_in_page_and_a_post_keep_their_transaction(app, make_opportunity, make_user):
    app.config["PAGE_CACHE_SECONDS"] = 0
    opp = make_opportunity(title="Robotics lab")
    student = make_user("student", grade=10)
    db.session.commit()
    client = sign_in_as(app.test_client(), student)
    seen, stop = isolation_of_each_statement(db.engine)
    try:
        assert client.get("/opportunities").status_code == 200
        assert client.get(f"/opportunities/{opp.slug}").status_code == 200
    finally:
        stop()
    assert seen and "AUTOCOMMIT" not in {level for level, _sql in seen}


@on_postgres
def test_on_postgresql_an_anonymous_page_sends_no_begin(app, client, make_opportunity):
    """What the autocommit saves, seen on the wire: libpq's trace of what the page sent."""
    import tempfile

    app.config["PAGE_CACHE_SECONDS"] = 0
    make_opportunity(title="Robotics lab")
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    with tempfile.TemporaryFile("w+") as trace:

        @event.listens_for(db.engine, "connect")
        def traced(dbapi_connection, _record):
            dbapi_connection.pgconn.trace(trace.fileno())

        try:
            assert client.get("/opportunities").status_code == 200
            for connection in list(db.engine.pool._pool.queue):
                connection.dbapi_connection.pgconn.untrace()
        finally:
            event.remove(db.engine, "connect", traced)
        trace.seek(0)
        sent = trace.read()
    assert "SELECT opportunity" in sent
    assert '"BEGIN"' not in sent and '"ROLLBACK"' not in sent, sent[-2000:]
