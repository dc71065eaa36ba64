"""search index outbox: index changes owed, written with the change (transactional outbox)

Revision ID: 89f0c944d016
Revises: a5395a893579
Create Date: 2026-11-23 03:31:54.486420

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '89f0c944d016'
down_revision = '64b3dc5b9cb5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('index_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.CheckConstraint("action IN ('upsert', 'delete')", name=op.f('ck_index_outbox_action')),
    sa.CheckConstraint("kind IN ('opportunity', 'partner')", name=op.f('ck_index_outbox_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_outbox'))
    )
    with op.batch_alter_table('index_outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_outbox_applied_at'), ['applied_at'], unique=False)



def downgrade():
    with op.batch_alter_table('index_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_index_outbox_applied_at'))

    op.drop_table('index_outbox')
