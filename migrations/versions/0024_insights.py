"""insight_snapshots: the insights' tables, precomputed by housekeeping

Revision ID: 0024_insights
Revises: 0023_support
Create Date: 2026-11-28 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_insights'
down_revision = '0023_support'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('insight_snapshots',
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('tables', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('scope', name=op.f('pk_insight_snapshots'))
    )


def downgrade():
    op.drop_table('insight_snapshots')
