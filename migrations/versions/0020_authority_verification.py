"""authority_places: position, the decision's history (rejected / revoked, by whom, why) and
an optional document

Revision ID: 0020_authority_verification
Revises: 0018_sanctions
Create Date: 2026-11-28 12:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_authority_verification'
down_revision = "0018_sanctions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('authority_places', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('rejected_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reject_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('revoked_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('revoke_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('document_type', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('document_size', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('document', sa.LargeBinary(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_authority_places_rejected_by_id_users'), 'users', ['rejected_by_id'],
            ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(
            batch_op.f('fk_authority_places_revoked_by_id_users'), 'users', ['revoked_by_id'],
            ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('authority_places', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_authority_places_revoked_by_id_users'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_authority_places_rejected_by_id_users'),
                                 type_='foreignkey')
        for column in ('document', 'document_size', 'document_type', 'revoke_reason',
                       'revoked_by_id', 'revoked_at', 'reject_reason', 'rejected_by_id',
                       'rejected_at', 'position'):
            batch_op.drop_column(column)
