"""support_requests, their thread (support_messages) and the local services directory
(support_services): returnees' requests routed to the authorities of their place

Revision ID: 0023_support
Revises: 0021_moderation_chat
Create Date: 2026-11-28 12:44:11.863606

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_support'
down_revision = '0021_moderation_chat'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('support_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('contact_channel', sa.String(length=10), nullable=False),
    sa.Column('contact_value', sa.String(length=200), nullable=False),
    sa.Column('women_services', sa.Boolean(), nullable=False),
    sa.Column('children_services', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('flagged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['district_id'], ['places.id'], name=op.f('fk_support_requests_district_id_places')),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_support_requests_place_id_places')),
    sa.ForeignKeyConstraint(['region_id'], ['places.id'], name=op.f('fk_support_requests_region_id_places')),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_support_requests_requester_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_requests'))
    )
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_requests_district_id'), ['district_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_place_id'), ['place_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_region_id'), ['region_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_requests_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index('ix_support_requests_status_created', ['status', 'created_at'], unique=False)
        batch_op.create_index('ix_support_requests_unanswered', ['first_answered_at', 'created_at'], unique=False)

    op.create_table('support_services',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('phone', sa.String(length=50), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('hours', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_support_services_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['places.id'], name=op.f('fk_support_services_place_id_places')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_services'))
    )
    with op.batch_alter_table('support_services', schema=None) as batch_op:
        batch_op.create_index('ix_support_services_place_kind', ['place_id', 'kind'], unique=False)

    op.create_table('support_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_support_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['support_requests.id'], name=op.f('fk_support_messages_request_id_support_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['support_services.id'], name=op.f('fk_support_messages_service_id_support_services'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_messages'))
    )
    with op.batch_alter_table('support_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_messages_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_messages_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table("support_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_messages_request_id'))
        batch_op.drop_index(batch_op.f('ix_support_messages_author_id'))

    op.drop_table('support_messages')
    with op.batch_alter_table('support_services', schema=None) as batch_op:
        batch_op.drop_index('ix_support_services_place_kind')

    op.drop_table('support_services')
    with op.batch_alter_table('support_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_support_requests_unanswered')
        batch_op.drop_index('ix_support_requests_status_created')
        batch_op.drop_index(batch_op.f('ix_support_requests_requester_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_region_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_place_id'))
        batch_op.drop_index(batch_op.f('ix_support_requests_district_id'))

    op.drop_table('support_requests')
