"""project progress: updates with photos, milestones, money raised and spent

Revision ID: 0011_project_progress
Revises: 0010_projects
Create Date: 2026-11-28 08:58:07.000886

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_project_progress'
down_revision = '0010_projects'
branch_labels = None
depends_on = None


def upgrade():

    op.create_table('project_milestones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_milestones_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_milestones'))
    )
    with op.batch_alter_table('project_milestones', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_milestones_project_id'), ['project_id'], unique=False)

    op.create_table('project_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('part', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_project_updates_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_updates_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_updates'))
    )
    with op.batch_alter_table('project_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_updates_author_id'), ['author_id'], unique=False)
        batch_op.create_index('ix_project_updates_project_created', ['project_id', 'created_at'], unique=False)

    op.create_table('project_update_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('update_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['update_id'], ['project_updates.id'], name=op.f('fk_project_update_photos_update_id_project_updates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_update_photos'))
    )
    with op.batch_alter_table('project_update_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_update_photos_update_id'), ['update_id'], unique=False)

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.add_column(sa.Column('raised_som', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('spent_som', sa.BigInteger(), nullable=True))




def downgrade():

    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_column('spent_som')
        batch_op.drop_column('raised_som')

    with op.batch_alter_table('project_update_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_update_photos_update_id'))

    op.drop_table('project_update_photos')
    with op.batch_alter_table('project_updates', schema=None) as batch_op:
        batch_op.drop_index('ix_project_updates_project_created')
        batch_op.drop_index(batch_op.f('ix_project_updates_author_id'))

    op.drop_table('project_updates')
    with op.batch_alter_table('project_milestones', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_milestones_project_id'))

    op.drop_table('project_milestones')

