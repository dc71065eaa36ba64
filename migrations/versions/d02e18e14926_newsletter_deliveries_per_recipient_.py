"""Newsletter deliveries per recipient, progress and a claim for the sending run

Revision ID: d02e18e14926
Revises: 62e1095521d1
Create Date: 2026-11-23 07:02:09.873534

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd02e18e14926'
down_revision = '62e1095521d1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('newsletter_delivery',
    sa.Column('newsletter_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=24), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refused', sa.Boolean(), nullable=False),
    sa.CheckConstraint("substr(recipient, 1, 2) IN ('u:', 's:')", name=op.f('ck_newsletter_delivery_recipient_kind')),
    sa.ForeignKeyConstraint(['newsletter_id'], ['newsletter.id'], name=op.f('fk_newsletter_delivery_newsletter_id_newsletter'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('newsletter_id', 'recipient', name=op.f('pk_newsletter_delivery'))
    )
    with op.batch_alter_table('newsletter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_total', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('newsletter', schema=None) as batch_op:
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('recipient_total')

    op.drop_table('newsletter_delivery')
