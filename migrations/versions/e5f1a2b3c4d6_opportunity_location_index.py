"""An index on a listing's latitude and longitude, for the listings near a school or a place

Revision ID: e5f1a2b3c4d6
Revises: d7c4a9e2b610
Create Date: 2026-12-03 13:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'e5f1a2b3c4d6'
down_revision = 'd7c4a9e2b610'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_opportunity_latitude_longitude', 'opportunity', ['latitude', 'longitude'], unique=False)


def downgrade():
    op.drop_index('ix_opportunity_latitude_longitude', table_name='opportunity')
