"""Reports off the primary (issue 18, point 5): exports, outcomes and the equity dashboard read the
read replica when ``REPLICA_DATABASE_URL`` is set, and the primary when it is not.

On PostgreSQL a second database stands in for the replica: ``CPSPARTNERS_TEST_REPLICA_DATABASE_URL``,
or else ``<test database>_replica``, made when missing. It gets the same schema, then a copy of
what each test wrote to the primary, changed so each side can be told apart: every partner,
listing, community area, audit note and survey comment ends in " (replica)" there, and one
partner exists only there. Without the setting (SQLite) nothing changes.
"""

import os
import re

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from cpspartners import create_app, replica
from cpspartners.extensions import db
from cpspartners.models import AuditEntry, Partner
from cpspartners.services import audit, feedback
from tests.conftest import (
    REFERENCE_TABLES,
    ServerLikeClient,
    config_for,
    fresh_g_per_request,
    sign_in_as,
)
from tests.test_factory import environment_app  # noqa: F401  (fixture)
from tests.test_outcomes import GOOD, completed  # noqa: F401  (fixture)

REPLICA_URL = os.environ.get("CPSPARTNERS_TEST_REPLICA_DATABASE_URL")
MARK = " (replica)"
ONLY_IN_REPLICA = "Only in the replica"
NOWHERE = "postgresql://postgres@127.0.0.1:9/nothing"  # nothing listens on port 9 here

# (path, who asks, text the primary has there): each report page and download.
REPORTS = [
    ("/transfers/partners.csv", "specialist", "Pilsen Robotics"),
    ("/transfers/opportunities.csv", "specialist", "Welding camp"),
    ("/transfers/needs-verification.csv", "specialist", "Welding camp"),
    ("/transfers/audit.csv", "specialist", "primary note"),
    ("/outcomes/feedback", "specialist", "Pilsen Robotics"),
    ("/outcomes/feedback.csv", "specialist", "Great!"),
    ("/outcomes?group=area", "specialist", "Albany Park"),
    ("/outcomes/export.csv?group=area", "specialist", "Albany Park"),
    ("/outcomes/scorecards", "staff", "Welding camp"),
    ("/equity", "specialist", "Albany Park"),
    ("/equity/export.csv", "specialist", "Albany Park"),
]


def non_reference_tables():
    return [t for t in db.metadata.sorted_tables if t.name not in REFERENCE_TABLES]


@pytest.fixture(scope="module")
def replica_db(pg_admin_engine, _schema):
    """The stand-in replica: the primary's schema and reference data, community areas marked.
    Yields its URL and a writable engine on it (the app's own engine on it refuses writes)."""
    url = REPLICA_URL
    if not url:
        name = pg_admin_engine.url.database + "_replica"
        with pg_admin_engine.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = pg_admin_engine.url.set(database=name).render_as_string(hide_password=False)
    writer = create_engine(replica.psycopg_url(url))
    primary = create_engine(replica.psycopg_url(_schema))
    db.metadata.drop_all(writer)
    db.metadata.create_all(writer)
    with primary.connect() as source, writer.begin() as target:
        for table in db.metadata.sorted_tables:
            if table.name in REFERENCE_TABLES:
                rows = [dict(row) for row in source.execute(table.select()).mappings()]
                target.execute(table.delete())  # create_all made directory_version's one row
                if rows:
                    target.execute(table.insert(), rows)
        target.execute(text("UPDATE community_area SET name = name || :mark"), {"mark": MARK})
    primary.dispose()
    yield url, writer
    writer.dispose()


def copy_to_replica(writer):
    """What the primary holds now, copied to the replica (as replication would), then changed there."""
    with db.engine.connect() as source, writer.begin() as target:
        target.exec_driver_sql("SET LOCAL session_replication_role = replica")  # rows in any order
        for table in non_reference_tables():
            rows = [dict(row) for row in source.execute(table.select()).mappings()]
            if rows:
                target.execute(table.insert(), rows)
        target.execute(text("UPDATE partner SET name = name || :m"), {"m": MARK})
        target.execute(text("UPDATE opportunity SET title = title || :m"), {"m": MARK})
        target.execute(text("UPDATE audit_entry SET note = note || :m"), {"m": MARK})
        target.execute(text("UPDATE feedback SET comment = comment || :m"), {"m": MARK})
        target.execute(
            Partner.__table__.insert().values(
                id=select(func.coalesce(func.max(Partner.id), 0) + 1000).scalar_subquery(),
                name=ONLY_IN_REPLICA,
                slug="only-in-the-replica",
                kind="nonprofit",
                status="active",
                mission="Seen on the replica only.",
            )
        )


@pytest.fixture
def reports_app(app, replica_db, _schema, tmp_path):
    """An app on the same primary with ``REPLICA_DATABASE_URL`` set; its context is the test's.
    (The ``app`` fixture, underneath, empties the primary afterwards.)"""
    url, writer = replica_db
    reports = create_app(config_for(_schema, REPLICA_DATABASE_URL=url, SEARCH_INDEX_DIR=str(tmp_path / "index")))
    reports.test_client_class = ServerLikeClient
    fresh_g_per_request(reports)
    with reports.app_context():
        yield reports
        db.session.rollback()
        db.session.remove()
        for engine in db.engines.values():
            engine.dispose()
        reports.extensions["cpspartners_search"].close()
    with writer.begin() as conn:
        for table in reversed(non_reference_tables()):
            conn.execute(table.delete())


@pytest.fixture
def report_data(reports_app, replica_db, people, completed):  # noqa: F811
    """A survey answer and an audit entry on the primary, then the copy on the replica."""
    feedback.submit(people["student"], completed, GOOD, "Great!")
    audit.record(people["specialist"], "viewed", "partner", people["partner"].id, note="primary note")
    db.session.commit()
    copy_to_replica(replica_db[1])
    return people


def signed_in(app, user):
    client = app.test_client()
    sign_in_as(client, user)
    return client


def page_text(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.mark.postgres
@pytest.mark.parametrize(("path", "who", "primary_text"), REPORTS)
def test_each_report_reads_the_replica_when_set_and_the_primary_when_not(
    app, reports_app, report_data, path, who, primary_text
):
    user = report_data[who]
    on_replica = page_text(signed_in(reports_app, user), path)
    assert MARK in on_replica
    on_primary = page_text(signed_in(app, user), path)  # the same database, no replica setting
    assert primary_text in on_primary and MARK not in on_primary
    if path == "/transfers/partners.csv":
        assert ONLY_IN_REPLICA in on_replica and ONLY_IN_REPLICA not in on_primary


@pytest.mark.postgres
def test_the_permission_check_comes_first_and_on_the_primary(app, reports_app, report_data):
    # A teacher is refused before anything is read; the replica's extra partner never shows.
    teacher = signed_in(reports_app, report_data["teacher"])
    for path, _who, _text in REPORTS:
        response = teacher.get(path)
        assert response.status_code in (302, 403), path
        assert ONLY_IN_REPLICA not in response.get_data(as_text=True)


@pytest.mark.postgres
def test_the_export_audit_entry_lands_on_the_primary(reports_app, replica_db, report_data):
    specialist = report_data["specialist"]
    csv = page_text(signed_in(reports_app, specialist), "/outcomes/feedback.csv?role=student")
    assert "Great!" + MARK in csv  # read on the replica...
    exported = select(AuditEntry.note).where(AuditEntry.action == "exported", AuditEntry.actor_id == specialist.id)
    assert db.session.scalars(exported).all() == ["feedback-responses.csv role=student"]  # ...logged on the primary
    with replica_db[1].connect() as conn:
        assert conn.execute(exported).all() == []


@pytest.mark.postgres
def test_a_write_through_the_replica_path_fails(reports_app, report_data):
    partner_id = report_data["partner"].id
    with replica.reads():
        assert replica.reading_replica()
        assert db.session.scalar(select(Partner.name).where(Partner.id == partner_id)) == "Pilsen Robotics" + MARK
        # (A row the request had already loaded keeps what the primary said: the identity map.)
        db.session.get(Partner, partner_id).name = "Changed on the replica"
        with pytest.raises(DBAPIError, match="read-only transaction"):
            db.session.flush()  # an ORM change
    db.session.rollback()
    with replica.reads(), pytest.raises(DBAPIError, match="read-only transaction"):
        db.session.execute(text("DELETE FROM feedback"))  # plain SQL
    db.session.rollback()
    with replica.replica_engine().connect() as conn, pytest.raises(DBAPIError, match="read-only transaction"):
        conn.execute(text("UPDATE partner SET name = 'x'"))  # the engine itself, outside any block
    # Outside the block the session writes the primary, and what the replica said is not kept.
    assert not replica.reading_replica()
    partner = db.session.get(Partner, partner_id)
    assert partner.name == "Pilsen Robotics"
    partner.mission = "Written on the primary."
    db.session.commit()
    assert db.session.scalar(select(Partner.mission).where(Partner.id == partner_id)) == "Written on the primary."


@pytest.mark.postgres
def test_ready_checks_the_replica_when_set(reports_app):
    response = reports_app.test_client().get("/health/ready")
    assert response.status_code == 200 and response.json == {"status": "ok"}


def test_a_replica_that_does_not_answer_leaves_reports_on_the_primary(_schema, people, tmp_path, caplog):
    """The choice in docs/deploy.md: reports fall back to the primary, and /health/ready stays
    200 but names the replica, so the balancer keeps the site and the monitoring sees it."""
    down = create_app(config_for(_schema, REPLICA_DATABASE_URL=NOWHERE, SEARCH_INDEX_DIR=str(tmp_path / "index")))
    down.test_client_class = ServerLikeClient
    try:
        client = signed_in(down, people["specialist"])
        csv = page_text(client, "/transfers/partners.csv")
        assert "Pilsen Robotics" in csv and MARK not in csv
        assert "The read replica does not answer: this report reads the primary" in caplog.text
        ready = down.test_client().get("/health/ready")
        assert ready.status_code == 200
        assert ready.json == {"status": "degraded", "degraded": {"replica": "unreachable"}}
        assert "127.0.0.1" not in ready.get_data(as_text=True)
    finally:
        with down.app_context():
            for engine in db.engines.values():
                engine.dispose()
        down.extensions["cpspartners_search"].close()


def test_without_the_setting_nothing_changes(app, client, people):
    assert app.config["REPLICA_DATABASE_URL"] is None
    assert "replica" not in (app.config.get("SQLALCHEMY_BINDS") or {})
    assert replica.replica_engine() is None and set(db.engines) == {None}
    with replica.reads():
        assert not replica.reading_replica()
        assert db.session.get_bind() is db.engine
    assert client.get("/health/ready").json == {"status": "ok"}
    csv = page_text(signed_in(app, people["specialist"]), "/transfers/partners.csv")
    assert "Pilsen Robotics" in csv


def test_the_variable_sets_the_replica_bind(monkeypatch, environment_app):  # noqa: F811
    monkeypatch.setenv("CPSPARTNERS_SECRET_KEY", "from-env")
    monkeypatch.setenv("CPSPARTNERS_REPLICA_DATABASE_URL", "postgresql://reports@replica.internal/cpspartners")
    app = environment_app()
    bind = app.config["SQLALCHEMY_BINDS"]["replica"]
    assert bind["url"] == "postgresql+psycopg://reports@replica.internal/cpspartners"
    assert bind["connect_args"]["connect_timeout"] == replica.CONNECT_TIMEOUT
    with app.app_context():
        assert re.match(r"postgresql\+psycopg://reports@replica\.internal", str(db.engines["replica"].url))
        assert db.engine.url.drivername == "sqlite"
        for engine in db.engines.values():
            engine.dispose()
