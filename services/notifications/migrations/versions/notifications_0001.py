"""Initial schema

Revision ID: notifications_0001
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op

revision = "notifications_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications_activities",
        sa.Column("activity_id", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("room", sa.String(length=80), nullable=True),
        sa.Column("starts_at", sa.Float(), nullable=True),
        sa.Column("ends_at", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("activity_id"),
    )
    op.create_table(
        "notifications_bookings",
        sa.Column("booking_id", sa.String(length=80), nullable=False),
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("activity_id", sa.String(length=80), nullable=True),
        sa.Column("starts_at", sa.Float(), nullable=False),
        sa.Column("ends_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ics_sequence", sa.Integer(), nullable=False),
        sa.Column("in_calendar", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("booking_id"),
    )
    with op.batch_alter_table("notifications_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_bookings_activity_id"), ["activity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_bookings_citizen_id"), ["citizen_id"], unique=False)

    op.create_table(
        "notifications_consents",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.Float(), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("citizen_id", "channel"),
    )
    op.create_table(
        "notifications_contacts",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("preferred_channel", sa.String(length=12), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("call_if_unreachable", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id"),
    )
    op.create_table(
        "notifications_inbox",
        sa.Column("consumer", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "notifications_messages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("booking_id", sa.String(length=80), nullable=True),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("not_after", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("context", sa.Text(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_key"),
    )
    with op.batch_alter_table("notifications_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_messages_booking_id"), ["booking_id"], unique=False)
        batch_op.create_index("ix_notifications_messages_due", ["state", "due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_messages_recipient"), ["recipient"], unique=False)

    op.create_table(
        "notifications_outbox",
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
    with op.batch_alter_table("notifications_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_notifications_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.create_table(
        "notifications_deliveries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("delivery_key", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.Float(), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=True),
        sa.Column("deferred", sa.Boolean(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("provider_ref", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["notifications_messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_key"),
    )
    with op.batch_alter_table("notifications_deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_deliveries_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_deliveries_message_id"), ["message_id"], unique=False)

    op.create_table(
        "notifications_attempts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notifications_deliveries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications_attempts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_attempts_delivery_id"), ["delivery_id"], unique=False)

    op.create_table(
        "notifications_calls",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("listed_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=True),
        sa.Column("done_at", sa.Float(), nullable=True),
        sa.Column("done_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notifications_deliveries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("delivery_id"),
    )
    with op.batch_alter_table("notifications_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_calls_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notifications_calls_site"), ["site"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notifications_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_calls_site"))
        batch_op.drop_index(batch_op.f("ix_notifications_calls_citizen_id"))

    op.drop_table("notifications_calls")
    with op.batch_alter_table("notifications_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_attempts_delivery_id"))

    op.drop_table("notifications_attempts")
    with op.batch_alter_table("notifications_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_deliveries_message_id"))
        batch_op.drop_index("ix_notifications_deliveries_due")

    op.drop_table("notifications_deliveries")
    with op.batch_alter_table("notifications_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_notifications_outbox_pending",
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("notifications_outbox")
    with op.batch_alter_table("notifications_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_messages_recipient"))
        batch_op.drop_index("ix_notifications_messages_due")
        batch_op.drop_index(batch_op.f("ix_notifications_messages_booking_id"))

    op.drop_table("notifications_messages")
    op.drop_table("notifications_inbox")
    op.drop_table("notifications_contacts")
    op.drop_table("notifications_consents")
    with op.batch_alter_table("notifications_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_bookings_citizen_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_bookings_activity_id"))

    op.drop_table("notifications_bookings")
    op.drop_table("notifications_activities")
