"""projects: proposals for places, their lifecycle events, budget lines, photos and supports

Revision ID: 0010_projects
Revises: 0009_gazetteer
Create Date: 2026-11-28 05:47:41.828769

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_projects'
down_revision = '0009_gazetteer'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('projects',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('proposer_id', sa.Integer(), nullable=True),
    sa.Column('origin', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('description_html', sa.Text(), nullable=False),
    sa.Column('search_text', sa.Text(), nullable=False),
    sa.Column('sector', sa.String(length=30), nullable=True),
    sa.Column('budget_som', sa.BigInteger(), nullable=True),
    sa.Column('contributions', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_note', sa.Text(), nullable=True),
    sa.Column('supporters', sa.Integer(), server_default='0', nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answer_seconds', sa.BigInteger(), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['places.id'], name=op.f('fk_projects_district_id_places')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_projects_place_id_places')),
    sa.ForeignKeyConstraint(['proposer_id'], ['users.id'], name=op.f('fk_projects_proposer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['places.id'], name=op.f('fk_projects_region_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects'))
    )
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_projects_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_place_id'), ['place_id'], unique=False)
        batch_op.create_index('ix_projects_place_status', ['place_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_proposer_id'), ['proposer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_sector'), ['sector'], unique=False)
        batch_op.create_index(batch_op.f('ix_projects_status'), ['status'], unique=False)
        batch_op.create_index('ix_projects_status_published', ['status', 'published_at'], unique=False)

    op.create_table('project_budget_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('amount_som', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_budget_items_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_budget_items'))
    )
    with op.batch_alter_table('project_budget_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_budget_items_project_id'), ['project_id'], unique=False)

    op.create_table('project_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_project_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_events_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_events'))
    )
    with op.batch_alter_table('project_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_events_project_id'), ['project_id'], unique=False)

    op.create_table('project_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_photos_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_photos'))
    )
    with op.batch_alter_table('project_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_photos_project_id'), ['project_id'], unique=False)

    op.create_table('project_supports',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('money_range', sa.String(length=20), nullable=True),
    sa.Column('skills', sa.String(length=200), nullable=True),
    sa.Column('volunteering', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('equipment', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('show_name', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_supports_project_id_projects'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_project_supports_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('project_id', 'user_id', name=op.f('pk_project_supports'))
    )
    with op.batch_alter_table('project_supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_supports_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('project_supports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_supports_user_id'))

    op.drop_table('project_supports')
    with op.batch_alter_table('project_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_photos_project_id'))

    op.drop_table('project_photos')
    with op.batch_alter_table('project_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_events_project_id'))

    op.drop_table('project_events')
    with op.batch_alter_table('project_budget_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_budget_items_project_id'))

    op.drop_table('project_budget_items')
    with op.batch_alter_table('projects', schema=None) as batch_op:
        batch_op.drop_index('ix_projects_status_published')
        batch_op.drop_index(batch_op.f('ix_projects_status'))
        batch_op.drop_index(batch_op.f('ix_projects_sector'))
        batch_op.drop_index(batch_op.f('ix_projects_region_id'))
        batch_op.drop_index(batch_op.f('ix_projects_proposer_id'))
        batch_op.drop_index('ix_projects_place_status')
        batch_op.drop_index(batch_op.f('ix_projects_place_id'))
        batch_op.drop_index(batch_op.f('ix_projects_district_id'))

    op.drop_table('projects')
