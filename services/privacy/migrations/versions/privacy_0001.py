"""Initial schema

Revision ID: privacy_0001
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op

revision = "privacy_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "privacy_access_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("node", sa.String(length=32), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("citizen_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("privacy_access_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_access_log_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_privacy_access_log_citizen_id"), ["citizen_id"], unique=False)

    op.create_table(
        "privacy_applied",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("node", sa.String(length=32), nullable=False),
        sa.Column("applied_at", sa.Float(), nullable=False),
        sa.Column("stream_messages", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id", "node"),
    )
    op.create_table(
        "privacy_erasures",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id"),
    )
    op.create_table(
        "privacy_inbox",
        sa.Column("consumer", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "privacy_outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("privacy_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_privacy_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.create_table(
        "privacy_people",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.Float(), nullable=True),
        sa.Column("last_activity_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id"),
    )
    with op.batch_alter_table("privacy_people", schema=None) as batch_op:
        batch_op.create_index("ix_privacy_people_activity", ["last_activity_at"], unique=False)

    op.create_table(
        "privacy_scrubs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("before_at", sa.Float(), nullable=False),
        sa.Column("erasure_id", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("done_at", sa.Float(), nullable=True),
        sa.Column("stream_messages", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("privacy_scrubs")
    with op.batch_alter_table("privacy_people", schema=None) as batch_op:
        batch_op.drop_index("ix_privacy_people_activity")

    op.drop_table("privacy_people")
    with op.batch_alter_table("privacy_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_privacy_outbox_pending",
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("privacy_outbox")
    op.drop_table("privacy_inbox")
    op.drop_table("privacy_erasures")
    op.drop_table("privacy_applied")
    with op.batch_alter_table("privacy_access_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_access_log_citizen_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_access_log_at"))

    op.drop_table("privacy_access_log")
