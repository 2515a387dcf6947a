"""image renditions: 480 and 960 px wide copies of every stored image

Revision ID: 0025_image_renditions
Revises: 0024_insights
Create Date: 2026-11-28 17:10:00

The rows already stored get NULL `renditions` (none made yet): `flask images-renditions`
makes them after deploying; until then pages offer the full image only.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_image_renditions'
down_revision = '0024_insights'
branch_labels = None
depends_on = None

TABLES = ('news_images', 'project_photos', 'project_update_photos')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('data_480', sa.LargeBinary(), nullable=True))
            batch_op.add_column(sa.Column('data_960', sa.LargeBinary(), nullable=True))
            batch_op.add_column(sa.Column('renditions', sa.String(length=40), nullable=True))


def downgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('renditions')
            batch_op.drop_column('data_960')
            batch_op.drop_column('data_480')
