"""gazetteer: SOATE codes and former names of places; the home village typed in the profile

Revision ID: 0009_gazetteer
Revises: 0007_speed
Create Date: 2026-11-28 06:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0009_gazetteer'
down_revision = '0007_speed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.add_column(sa.Column('soate', sa.String(length=14), nullable=True))
        batch_op.add_column(sa.Column('former', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_places_soate'), ['soate'], unique=False)
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('home_village', sa.String(length=80), nullable=True))


def downgrade():
    with op.batch_alter_table('profiles', schema=None) as batch_op:
        batch_op.drop_column('home_village')
    with op.batch_alter_table('places', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_places_soate'))
        batch_op.drop_column('former')
        batch_op.drop_column('soate')
