"""speed: news bodies rendered when written

Revision ID: 0007_speed
Revises: 0005_ended_sessions
Create Date: 2026-11-28 06:00:00

News posts keep their body rendered (sanitised HTML and a plain summary per language) with
the renderer's version; existing posts are rendered here, once.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_speed'
down_revision = '0005_ended_sessions'
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
    with op.batch_alter_table('news_posts', schema=None) as batch_op:
        batch_op.drop_column('rendered_version')
        batch_op.drop_column('body_summary')
        batch_op.drop_column('body_html')
