"""History names the node that produced each fact (read copies of other nodes)

Revision ID: inventory_0002
Revises: inventory_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "inventory_0002"
down_revision = "inventory_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inventory_history", schema=None) as batch_op:
        batch_op.add_column(sa.Column("origin", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inventory_history", schema=None) as batch_op:
        batch_op.drop_column("origin")
