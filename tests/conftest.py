"""Fixtures. The database is SQLite in a temporary folder, or PostgreSQL when
``CPSPARTNERS_TEST_DATABASE_URL`` is set. The schema and the real schools are created once per
run; every test starts from that state and everything it wrote is deleted afterwards.
"""

import os
import tempfile
from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import create_engine, text

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.models import Opportunity, Partner, School

REFERENCE_TABLES = {"community_area", "school"}  # real data, loaded once per run
PG_URL = os.environ.get("CPSPARTNERS_TEST_DATABASE_URL")
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "data")


IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason):
    """Outside CI a missing tool skips with a reason; in CI nothing may skip, so it fails."""
    if IN_CI:
        pytest.fail("CI=true but " + reason)
    pytest.skip(reason)


def pytest_report_header(config):
    return "database: " + ("PostgreSQL " + PG_URL if PG_URL else "SQLite (temporary file)")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if PG_URL:
        return PG_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


def config_for(url, **extra):
    """Test settings; each call gets its own empty search index folder unless one is given."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "WTF_CSRF_ENABLED": True,
        "SEARCH_INDEX_DIR": extra.pop("SEARCH_INDEX_DIR", None) or tempfile.mkdtemp(prefix="cps-index-"),
    }
    config.update(extra)
    return config


@pytest.fixture(scope="session")
def _schema(database_url, tmp_path_factory):
    """Create every table once and load the real schools and community areas."""
    from cpspartners.seed.schools import load_areas, load_schools

    app = create_app(config_for(database_url))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()
        load_areas(DATA_DIR)
        load_schools(DATA_DIR)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return database_url


@pytest.fixture
def app(_schema, tmp_path):
    app = create_app(config_for(_schema, SEARCH_INDEX_DIR=str(tmp_path / "search-index")))
    with app.app_context():
        yield app
        db.session.rollback()
        clean_tables()
        db.session.remove()
        db.engine.dispose()
        app.extensions["cpspartners_search"].close()


def clean_tables():
    """Delete what a test wrote, children first, keeping the reference data (and the search outbox)."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                conn.execute(table.delete())


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def es_client(app):
    client = app.test_client()
    client.set_cookie("lang", "es")
    return client


_numbers = count(1)


@pytest.fixture
def make_partner(app):
    def make(**overrides):
        n = next(_numbers)
        values = {"name": f"Test Partner {n}", "slug": f"test-partner-{n}", "kind": "nonprofit", "status": "active",
                  "mission": "Helping students learn."}
        values.update(overrides)
        partner = Partner(**values)
        db.session.add(partner)
        db.session.commit()
        return partner

    return make


@pytest.fixture
def make_opportunity(app, make_partner):
    def make(**overrides):
        n = next(_numbers)
        if "partner" not in overrides and "partner_id" not in overrides:
            overrides["partner"] = make_partner()
        clusters = overrides.pop("clusters", ["060100"])
        tags = overrides.pop("tags", ["coding"])
        schools = overrides.pop("schools", [])
        values = {"title": f"Test opportunity {n}", "slug": f"test-opportunity-{n}", "kind": "workshop",
                  "summary": "A short test summary.", "status": "published", "grade_min": 6, "grade_max": 12,
                  "deadline": date.today() + timedelta(days=30)}
        values.update(overrides)
        opp = Opportunity(**values)
        opp.clusters = clusters
        opp.tags = tags
        opp.schools = schools
        db.session.add(opp)
        db.session.commit()
        return opp

    return make


@pytest.fixture
def curie(app):
    """Curie Metropolitan High School: a real CPS high school with real coordinates."""
    return db.session.scalars(db.select(School).where(School.long_name.like("%Curie%"))).first()


@pytest.fixture(scope="session")
def pg_admin_engine():
    """An engine on the PostgreSQL server for tests that need their own database."""
    if not PG_URL:
        skip_or_fail("PostgreSQL is not configured (set CPSPARTNERS_TEST_DATABASE_URL)")
    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()
