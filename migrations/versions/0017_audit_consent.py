"""audit log: append-only (triggers refuse UPDATE and DELETE), an index for its object filter;
privacy_acceptances: every acceptance of a version of the privacy notice

Revision ID: 0017_audit_consent
Revises: 0016_staff_totp
Create Date: 2026-11-28 09:18:11.075771

"""
from alembic import op
import sqlalchemy as sa

from diaspora.moderation import guard


# revision identifiers, used by Alembic.
revision = '0017_audit_consent'
down_revision = "0016_staff_totp"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('privacy_acceptances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_privacy_acceptances_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_acceptances'))
    )
    with op.batch_alter_table('privacy_acceptances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_privacy_acceptances_user_id'), ['user_id'], unique=False)
    # The acceptances made before the history existed: the latest one of each member, its
    # channel guessed from the account (no e-mail: it can only have come from the bot).
    op.execute(
        "INSERT INTO privacy_acceptances (user_id, version, channel, accepted_at) "
        "SELECT id, privacy_version, CASE WHEN email IS NULL THEN 'telegram' ELSE 'web' END, "
        "privacy_accepted_at FROM users "
        "WHERE privacy_version IS NOT NULL AND privacy_accepted_at IS NOT NULL"
    )

    op.create_index('ix_audit_log_object', 'audit_log', ['object_type', 'object_id'], unique=False)
    guard.install(op.get_bind())


def downgrade():
    guard.remove(op.get_bind())
    op.drop_index('ix_audit_log_object', table_name='audit_log')
    with op.batch_alter_table('privacy_acceptances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_privacy_acceptances_user_id'))

    op.drop_table('privacy_acceptances')
