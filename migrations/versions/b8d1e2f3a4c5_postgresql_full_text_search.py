"""PostgreSQL full-text search: the tables SEARCH_BACKEND = "postgres" answers from

On PostgreSQL only (SQLite keeps the Whoosh index): the unaccent and pg_trgm extensions, the
cps_en / cps_es text search configurations, search_document and search_vocabulary with their
GIN indexes (cpspartners/search/pg.py, SCHEMA). The tables start empty: with the backend
chosen, `flask search rebuild` fills them. Creating the extensions needs a role allowed to
(a superuser, or the database owner on PostgreSQL 13+ for these trusted extensions).

Revision ID: b8d1e2f3a4c5
Revises: c1992036be70
Create Date: 2026-12-02 15:20:00

"""
from alembic import op

from cpspartners.search import pg


# revision identifiers, used by Alembic.
revision = 'b8d1e2f3a4c5'
down_revision = 'c1992036be70'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        pg.install(op.get_bind())


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        pg.uninstall(op.get_bind())
