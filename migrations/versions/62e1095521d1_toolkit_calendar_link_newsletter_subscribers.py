"""Personal calendar link nonce, newsletter opt-out, newsletter subscribers (families, double opt-in)

Revision ID: 62e1095521d1
Revises: 64b3dc5b9cb5
Create Date: 2026-11-23 04:04:11.502786

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '62e1095521d1'
down_revision = '89f0c944d016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newsletter_subscriber',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('unsubscribed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("language IN ('en', 'es')", name=op.f('ck_newsletter_subscriber_language')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_newsletter_subscriber_school_id_school'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_newsletter_subscriber')),
    sa.UniqueConstraint('email', name=op.f('uq_newsletter_subscriber_email'))
    )
    with op.batch_alter_table('newsletter_subscriber', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_newsletter_subscriber_school_id'), ['school_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_nonce', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('newsletter_opt_out', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('newsletter_opt_out')
        batch_op.drop_column('calendar_nonce')

    with op.batch_alter_table('newsletter_subscriber', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_newsletter_subscriber_school_id'))

    op.drop_table('newsletter_subscriber')
