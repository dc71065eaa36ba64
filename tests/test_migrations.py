"""Migrations build the whole schema from an empty database, and it matches the models."""

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from cpspartners import create_app
from cpspartners.extensions import db
from cpspartners.search.pg import not_ours


def upgrade_and_compare(url):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            opts = {"compare_type": True, "include_name": not_ours}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
            inspector = inspect(conn)
            tables = set(inspector.get_table_names())
            # Autogenerate ignores CHECK constraints, so compare their names here.
            for table in db.metadata.sorted_tables:
                wanted = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
                found = {c["name"] for c in inspector.get_check_constraints(table.name)}
                if wanted != found:
                    diff.append(("check constraints", table.name, sorted(wanted ^ found)))
        db.engine.dispose()
    return diff, tables


def test_migrations_match_models_on_sqlite(tmp_path):
    diff, tables = upgrade_and_compare("sqlite:///" + str(tmp_path / "migrated.sqlite"))
    assert diff == []
    assert {"school", "community_area", "partner", "opportunity", "user", "vetting_record"} <= tables


@pytest.mark.postgres
def test_migrations_match_models_on_postgresql(pg_admin_engine):
    name = "cpspartners_migrate_" + uuid.uuid4().hex[:8]
    with pg_admin_engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = pg_admin_engine.url.set(database=name).render_as_string(hide_password=False)
    try:
        diff, tables = upgrade_and_compare(url)
        assert diff == []
        assert {"opportunity", "search_document", "search_vocabulary"} <= tables
    finally:
        with pg_admin_engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
