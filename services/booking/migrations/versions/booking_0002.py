"""Escrow quotas and what the node knows of other nodes workshops

Revision ID: booking_0002
Revises: booking_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "booking_0002"
down_revision = "booking_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('booking_elsewhere', schema=None) as batch_op:
        batch_op.add_column(sa.Column('starts_at', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('ends_at', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('escrow', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('escrow_used', sa.Integer(), nullable=False, server_default='0'))

    with op.batch_alter_table('booking_workshops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('escrow_seats', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('booking_workshops', schema=None) as batch_op:
        batch_op.drop_column('escrow_seats')

    with op.batch_alter_table('booking_elsewhere', schema=None) as batch_op:
        batch_op.drop_column('escrow_used')
        batch_op.drop_column('escrow')
        batch_op.drop_column('ends_at')
        batch_op.drop_column('starts_at')
