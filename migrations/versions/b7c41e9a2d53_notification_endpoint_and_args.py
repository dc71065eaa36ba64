"""Notifications store the endpoint they lead to and its URL arguments, not a path

Existing rows keep their path in ``link``, which is still followed while ``endpoint`` is empty:
converting them here would tie this migration to whatever routes exist on the day it runs.

Revision ID: b7c41e9a2d53
Revises: d02e18e14926
Create Date: 2026-12-01 22:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c41e9a2d53'
down_revision = 'd02e18e14926'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endpoint', sa.String(length=80), server_default='', nullable=False))
        batch_op.add_column(sa.Column('args', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('args')
        batch_op.drop_column('endpoint')
