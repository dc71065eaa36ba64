"""Matching: student and teacher profiles, dismissals ("Not interested") and saved opportunities.

Revision ID: 7f5f8b0e5ae8
Revises: a5395a893579
Create Date: 2026-11-23 03:35:19.867038

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7f5f8b0e5ae8'
down_revision = '70c6a1ad8e6f'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('dismissal',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_dismissal_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_dismissal_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'opportunity_id', name=op.f('pk_dismissal'))
    )
    with op.batch_alter_table('dismissal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dismissal_opportunity_id'), ['opportunity_id'], unique=False)

    op.create_table('saved_opportunity',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('opportunity_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['opportunity_id'], ['opportunity.id'], name=op.f('fk_saved_opportunity_opportunity_id_opportunity'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_saved_opportunity_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'opportunity_id', name=op.f('pk_saved_opportunity'))
    )
    with op.batch_alter_table('saved_opportunity', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saved_opportunity_opportunity_id'), ['opportunity_id'], unique=False)

    op.create_table('student_profile',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('clusters', sa.String(length=120), nullable=False),
    sa.Column('tags', sa.String(length=400), nullable=False),
    sa.Column('free_words', sa.String(length=200), nullable=False),
    sa.Column('languages', sa.String(length=60), nullable=False),
    sa.Column('modality', sa.String(length=10), nullable=False),
    sa.Column('needs_paid', sa.Boolean(), nullable=False),
    sa.Column('needs_transportation', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("modality IN ('in_person', 'virtual', 'either')", name=op.f('ck_student_profile_modality')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_student_profile_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_student_profile'))
    )
    op.create_table('teacher_profile',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('subjects', sa.String(length=300), nullable=False),
    sa.Column('grade_bands', sa.String(length=40), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_teacher_profile_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_teacher_profile'))
    )


def downgrade():
    op.drop_table('teacher_profile')
    op.drop_table('student_profile')
    with op.batch_alter_table('saved_opportunity', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saved_opportunity_opportunity_id'))

    op.drop_table('saved_opportunity')
    with op.batch_alter_table('dismissal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dismissal_opportunity_id'))

    op.drop_table('dismissal')
