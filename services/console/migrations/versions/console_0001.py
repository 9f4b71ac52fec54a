"""Initial schema

Revision ID: console_0001
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op

revision = "console_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_assets",
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("condition", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("asset_tag"),
    )
    with op.batch_alter_table("console_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_assets_site"), ["site"], unique=False)

    op.create_table(
        "console_bookings",
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
    with op.batch_alter_table("console_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_bookings_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_console_bookings_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "console_conflicts",
        sa.Column("conflict_id", sa.String(length=80), nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("node_site", sa.String(length=32), nullable=False),
        sa.Column("holding_site", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("detected_at", sa.Float(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("conflict_id"),
    )
    op.create_table(
        "console_inbox",
        sa.Column("consumer", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "console_loans",
        sa.Column("loan_id", sa.String(length=80), nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("citizen_id", sa.String(length=64), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("due_date", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    with op.batch_alter_table("console_loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_loans_asset_tag"), ["asset_tag"], unique=False)
        batch_op.create_index(batch_op.f("ix_console_loans_site"), ["site"], unique=False)

    op.create_table(
        "console_origins",
        sa.Column("origin", sa.String(length=32), nullable=False),
        sa.Column("last_hlc", sa.String(length=40), nullable=False),
        sa.Column("last_seen_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("origin"),
    )
    op.create_table(
        "console_outbox",
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
    with op.batch_alter_table("console_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_console_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.create_table(
        "console_people",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("citizen_id"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("flash", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    op.create_table(
        "console_staff",
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("login"),
    )
    op.create_table(
        "console_transfers",
        sa.Column("transfer_id", sa.String(length=80), nullable=False),
        sa.Column("from_site", sa.String(length=32), nullable=False),
        sa.Column("to_site", sa.String(length=32), nullable=False),
        sa.Column("dispatched_at", sa.Float(), nullable=False),
        sa.Column("in_transit", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("transfer_id"),
    )
    with op.batch_alter_table("console_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_transfers_to_site"), ["to_site"], unique=False)

    op.create_table(
        "console_workshops",
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
    with op.batch_alter_table("console_workshops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_console_workshops_site"), ["site"], unique=False)
        batch_op.create_index(batch_op.f("ix_console_workshops_starts_at"), ["starts_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("console_workshops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_workshops_starts_at"))
        batch_op.drop_index(batch_op.f("ix_console_workshops_site"))

    op.drop_table("console_workshops")
    with op.batch_alter_table("console_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_transfers_to_site"))

    op.drop_table("console_transfers")
    op.drop_table("console_staff")
    op.drop_table("console_sessions")
    op.drop_table("console_people")
    with op.batch_alter_table("console_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_console_outbox_pending",
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("console_outbox")
    op.drop_table("console_origins")
    with op.batch_alter_table("console_loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_loans_site"))
        batch_op.drop_index(batch_op.f("ix_console_loans_asset_tag"))

    op.drop_table("console_loans")
    op.drop_table("console_inbox")
    op.drop_table("console_conflicts")
    with op.batch_alter_table("console_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_bookings_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_console_bookings_citizen_id"))

    op.drop_table("console_bookings")
    with op.batch_alter_table("console_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_console_assets_site"))

    op.drop_table("console_assets")
