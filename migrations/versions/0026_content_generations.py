"""content generations: a counter raised by every transaction that changes the site's content,
so pages' kept parts (diaspora/pagecache.py) are drawn again in every process

Revision ID: 0026_content_generations
Revises: 0025_image_renditions
Create Date: 2026-11-28 20:00:00
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_content_generations'
down_revision = '0025_image_renditions'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'content_generations',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_content_generations')),
    )
    op.bulk_insert(table, [{'name': 'content', 'value': 0}])


def downgrade():
    op.drop_table('content_generations')
