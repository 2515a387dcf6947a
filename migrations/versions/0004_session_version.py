"""session version; who showed a link code; notifications to a chat the link moved away from

Revision ID: 0004_session_version
Revises: 0003_news
Create Date: 2026-11-28 03:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0004_session_version'
down_revision = '0003_news'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )
    with op.batch_alter_table('telegram_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_name', sa.String(length=130), nullable=True))
        batch_op.add_column(sa.Column('telegram_username', sa.String(length=40), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_id', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('chat_id')
    with op.batch_alter_table('telegram_tokens', schema=None) as batch_op:
        batch_op.drop_column('telegram_username')
        batch_op.drop_column('telegram_name')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
