"""Initial schema

Revision ID: bot_0001
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op

revision = "bot_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "bot_bookings",
        sa.Column("booking_id", sa.String(length=80), nullable=False),
        sa.Column("workshop_id", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("queued", sa.String(length=40), nullable=False),
        sa.Column("age_bracket", sa.String(length=32), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("booked_by_staff", sa.String(length=64), nullable=True),
        sa.Column("starts_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("booking_id"),
    )
    with op.batch_alter_table("bot_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bot_bookings_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_bot_bookings_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "bot_chats",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.String(length=1), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id"),
        sa.UniqueConstraint("chat_id"),
    )
    op.create_table(
        "bot_deliveries",
        sa.Column("delivery_key", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("attempts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("delivery_key"),
    )
    op.create_table(
        "bot_inbox",
        sa.Column("consumer", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "bot_outbox",
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
    with op.batch_alter_table("bot_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_bot_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.create_table(
        "bot_workshops",
        sa.Column("workshop_id", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("room", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("themes", sa.String(length=400), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("starts_at", sa.Float(), nullable=False),
        sa.Column("ends_at", sa.Float(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("workshop_id"),
    )
    with op.batch_alter_table("bot_workshops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bot_workshops_site"), ["site"], unique=False)
        batch_op.create_index(batch_op.f("ix_bot_workshops_starts_at"), ["starts_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("bot_workshops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bot_workshops_starts_at"))
        batch_op.drop_index(batch_op.f("ix_bot_workshops_site"))

    op.drop_table("bot_workshops")
    with op.batch_alter_table("bot_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_bot_outbox_pending",
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("bot_outbox")
    op.drop_table("bot_inbox")
    op.drop_table("bot_deliveries")
    op.drop_table("bot_chats")
    with op.batch_alter_table("bot_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bot_bookings_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_bot_bookings_citizen_id"))

    op.drop_table("bot_bookings")
