"""The directory version: one row whose number every change an anonymous page shows bumps

Kept pages (cpspartners/pagecache.py) are looked up under it. The row is made here, with the
table; nothing else ever inserts one.

Revision ID: d7c4a9e2b610
Revises: b8d1e2f3a4c5
Create Date: 2026-12-02 18:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7c4a9e2b610'
down_revision = 'b8d1e2f3a4c5'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'directory_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_directory_version')),
    )
    op.bulk_insert(table, [{'id': 1, 'number': 0}])


def downgrade():
    op.drop_table('directory_version')
