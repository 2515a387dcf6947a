"""speed: news bodies rendered when written; a lean outbox

Revision ID: 0007_speed
Revises: 0006_surveys
Create Date: 2026-11-28 06:00:00

News posts keep their body rendered (sanitised HTML and a plain summary per language) with
the renderer's version; existing posts are rendered here, once.

The outbox loses what made a million-row INSERT ... SELECT slow (bench/enqueue.py): its two
foreign keys (a trigger per row each) and the index on user_id (used by nothing but the
foreign key); every index but the primary key becomes partial, so a new queued row enters
only the claim's: due rows (queued), expired leases (sending), progress (settled rows).
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_speed'
down_revision = '0006_surveys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('news_posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('body_html', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('body_summary', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('rendered_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    _render_existing_posts()
    with op.batch_alter_table('news_posts', schema=None) as batch_op:
        batch_op.alter_column('body_html', existing_type=sa.JSON(), nullable=False)
        batch_op.alter_column('body_summary', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_broadcast_id_broadcasts', type_='foreignkey')
        batch_op.drop_constraint('fk_outbox_user_id_users', type_='foreignkey')
        batch_op.drop_index('ix_outbox_user_id')
        batch_op.drop_index('ix_outbox_claim')
        batch_op.drop_index('ix_outbox_progress')
    op.create_index('ix_outbox_due', 'outbox', ['priority', 'id'], unique=False,
                    postgresql_where=sa.text("status = 'queued'"),
                    sqlite_where=sa.text("status = 'queued'"))
    op.create_index('ix_outbox_leased', 'outbox', ['lease_expires_at'], unique=False,
                    postgresql_where=sa.text("status = 'sending'"),
                    sqlite_where=sa.text("status = 'sending'"))
    op.create_index('ix_outbox_settled', 'outbox', ['broadcast_id', 'status', 'sent_at'],
                    unique=False,
                    postgresql_where=sa.text("status NOT IN ('queued', 'sending')"),
                    sqlite_where=sa.text("status NOT IN ('queued', 'sending')"))


def _render_existing_posts():
    from diaspora.news.rendering import RENDERER_VERSION, render_body

    posts = sa.table('news_posts', sa.column('id', sa.Integer()), sa.column('body', sa.JSON()),
                     sa.column('body_html', sa.JSON()), sa.column('body_summary', sa.JSON()),
                     sa.column('rendered_version', sa.Integer()))
    connection = op.get_bind()
    for post_id, body in connection.execute(sa.select(posts.c.id, posts.c.body)).all():
        html, summaries = {}, {}
        for code, text in (body or {}).items():
            html[code], summaries[code] = render_body(text)
        connection.execute(posts.update().where(posts.c.id == post_id).values(
            body_html=html, body_summary=summaries, rendered_version=RENDERER_VERSION))


def downgrade():
    op.drop_index('ix_outbox_settled', table_name='outbox')
    op.drop_index('ix_outbox_leased', table_name='outbox')
    op.drop_index('ix_outbox_due', table_name='outbox')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_claim', ['status', 'priority', 'id'], unique=False)
        batch_op.create_index('ix_outbox_progress', ['broadcast_id', 'status', 'sent_at'],
                              unique=False)
        batch_op.create_index('ix_outbox_user_id', ['user_id'], unique=False)
        batch_op.create_foreign_key('fk_outbox_user_id_users', 'users', ['user_id'], ['id'],
                                    ondelete='CASCADE')
        batch_op.create_foreign_key('fk_outbox_broadcast_id_broadcasts', 'broadcasts',
                                    ['broadcast_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('news_posts', schema=None) as batch_op:
        batch_op.drop_column('rendered_version')
        batch_op.drop_column('body_summary')
        batch_op.drop_column('body_html')
