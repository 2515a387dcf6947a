"""sanctions: moderators' warnings, mutes and blocks of members; the sanction in force kept
on users (muted_until, blocked, blocked_until)

Revision ID: 0018_sanctions
Revises: 0017_audit_consent
Create Date: 2026-11-28 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_sanctions'
down_revision = "0017_audit_consent"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sanctions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('lifted_by_id', sa.Integer(), nullable=True),
    sa.Column('lift_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_sanctions_issued_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['lifted_by_id'], ['users.id'], name=op.f('fk_sanctions_lifted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_sanctions_member_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanctions'))
    )
    op.create_index('ix_sanctions_member', 'sanctions', ['member_id', 'starts_at'], unique=False)
    # Plain ADD COLUMNs (no batch copy of users on SQLite: nothing else changes there).
    op.add_column('users', sa.Column('muted_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('users', sa.Column('blocked', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.add_column('users', sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('blocked_until')
        batch_op.drop_column('blocked')
        batch_op.drop_column('muted_until')
    op.drop_index('ix_sanctions_member', table_name='sanctions')
    op.drop_table('sanctions')
