"""Directory: consent per purpose, erasure log

Revision ID: notifications_0002
Revises: notifications_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "notifications_0002"
down_revision = "notifications_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications_erased",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.Float(), nullable=False),
        sa.Column("compacted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id"),
    )
    op.create_table(
        "notifications_purpose_consents",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("citizen_id", "purpose", "channel"),
    )


def downgrade() -> None:
    op.drop_table("notifications_purpose_consents")
    op.drop_table("notifications_erased")
