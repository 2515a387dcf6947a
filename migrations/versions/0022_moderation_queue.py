"""moderation_decisions: one row per decided entry of the moderators' queue (its unique key
is what lets only one of two moderators deciding at once through)

Revision ID: 0022_moderation_queue
Revises: 0017_audit_consent
Create Date: 2026-11-28 12:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_moderation_queue'
down_revision = "0017_audit_consent"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('moderation_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=120), nullable=False),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_moderation_decisions_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_moderation_decisions')),
    sa.UniqueConstraint('item_key', name=op.f('uq_moderation_decisions_item_key'))
    )


def downgrade():
    op.drop_table('moderation_decisions')
