"""Initial schema

Revision ID: inventory_0001
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op

revision = "inventory_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inventory_assets",
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("model", sa.String(length=120), nullable=False),
        sa.Column("serial", sa.String(length=120), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("price_cents", sa.BigInteger(), nullable=False),
        sa.Column("funding_source", sa.String(length=40), nullable=False),
        sa.Column("condition", sa.String(length=12), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("asset_tag"),
    )
    with op.batch_alter_table("inventory_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_assets_funding_source"), ["funding_source"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_assets_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_assets_site"), ["site"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_assets_status"), ["status"], unique=False)

    op.create_table(
        "inventory_conflicts",
        sa.Column("conflict_id", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.String(length=80), nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("node_site", sa.String(length=32), nullable=False),
        sa.Column("holding_site", sa.String(length=32), nullable=False),
        sa.Column("recorded_status", sa.String(length=16), nullable=False),
        sa.Column("detected_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("conflict_id"),
    )
    with op.batch_alter_table("inventory_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_conflicts_asset_tag"), ["asset_tag"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_conflicts_status"), ["status"], unique=False)

    op.create_table(
        "inventory_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("inventory_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_history_asset_tag"), ["asset_tag"], unique=False)

    op.create_table(
        "inventory_inbox",
        sa.Column("consumer", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "inventory_loans",
        sa.Column("loan_id", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.String(length=80), nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=12), nullable=False),
        sa.Column("citizen_id", sa.String(length=64), nullable=True),
        sa.Column("age_bracket", sa.String(length=32), nullable=True),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("social_status", sa.String(length=20), nullable=True),
        sa.Column("gender", sa.String(length=20), nullable=True),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("due_at", sa.Float(), nullable=False),
        sa.Column("agreement_signed", sa.Boolean(), nullable=False),
        sa.Column("deposit_cents", sa.BigInteger(), nullable=True),
        sa.Column("reservation_id", sa.String(length=80), nullable=True),
        sa.Column("renewals", sa.Integer(), nullable=False),
        sa.Column("reminder_level", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("returned_at", sa.Float(), nullable=True),
        sa.Column("return_condition", sa.String(length=12), nullable=True),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    with op.batch_alter_table("inventory_loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_loans_asset_tag"), ["asset_tag"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_loans_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_loans_due_at"), ["due_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_loans_site"), ["site"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_loans_status"), ["status"], unique=False)

    op.create_table(
        "inventory_outbox",
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
    with op.batch_alter_table("inventory_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inventory_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.create_table(
        "inventory_repairs",
        sa.Column("repair_id", sa.String(length=80), nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("repairer", sa.String(length=120), nullable=False),
        sa.Column("returned_at", sa.Float(), nullable=True),
        sa.Column("return_notes", sa.Text(), nullable=False),
        sa.Column("cost_cents", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("repair_id"),
    )
    with op.batch_alter_table("inventory_repairs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_repairs_asset_tag"), ["asset_tag"], unique=False)

    op.create_table(
        "inventory_requests",
        sa.Column("request_id", sa.String(length=80), nullable=False),
        sa.Column("request_type", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("request_id"),
    )
    op.create_table(
        "inventory_reservation_items",
        sa.Column("reservation_id", sa.String(length=80), nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id", "asset_tag"),
    )
    with op.batch_alter_table("inventory_reservation_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_reservation_items_asset_tag"), ["asset_tag"], unique=False)

    op.create_table(
        "inventory_reservations",
        sa.Column("reservation_id", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=False),
        sa.Column("starts_at", sa.Float(), nullable=False),
        sa.Column("ends_at", sa.Float(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("workshop_id", sa.String(length=80), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("reservation_id"),
    )
    with op.batch_alter_table("inventory_reservations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_reservations_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_reservations_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_reservations_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_inventory_reservations_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "inventory_transfer_items",
        sa.Column("transfer_id", sa.String(length=80), nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("received_at", sa.Float(), nullable=True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("transfer_id", "asset_tag"),
    )
    with op.batch_alter_table("inventory_transfer_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_transfer_items_state"), ["state"], unique=False)

    op.create_table(
        "inventory_transfers",
        sa.Column("transfer_id", sa.String(length=80), nullable=False),
        sa.Column("request_id", sa.String(length=80), nullable=False),
        sa.Column("from_site", sa.String(length=32), nullable=False),
        sa.Column("to_site", sa.String(length=32), nullable=False),
        sa.Column("dispatched_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("transfer_id"),
    )
    with op.batch_alter_table("inventory_transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inventory_transfers_dispatched_at"), ["dispatched_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inventory_transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_transfers_dispatched_at"))

    op.drop_table("inventory_transfers")
    with op.batch_alter_table("inventory_transfer_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_transfer_items_state"))

    op.drop_table("inventory_transfer_items")
    with op.batch_alter_table("inventory_reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_reservations_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_inventory_reservations_state"))
        batch_op.drop_index(batch_op.f("ix_inventory_reservations_starts_at"))
        batch_op.drop_index(batch_op.f("ix_inventory_reservations_ends_at"))

    op.drop_table("inventory_reservations")
    with op.batch_alter_table("inventory_reservation_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_reservation_items_asset_tag"))

    op.drop_table("inventory_reservation_items")
    op.drop_table("inventory_requests")
    with op.batch_alter_table("inventory_repairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_repairs_asset_tag"))

    op.drop_table("inventory_repairs")
    with op.batch_alter_table("inventory_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_inventory_outbox_pending",
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("inventory_outbox")
    with op.batch_alter_table("inventory_loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_loans_status"))
        batch_op.drop_index(batch_op.f("ix_inventory_loans_site"))
        batch_op.drop_index(batch_op.f("ix_inventory_loans_due_at"))
        batch_op.drop_index(batch_op.f("ix_inventory_loans_citizen_id"))
        batch_op.drop_index(batch_op.f("ix_inventory_loans_asset_tag"))

    op.drop_table("inventory_loans")
    op.drop_table("inventory_inbox")
    with op.batch_alter_table("inventory_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_history_asset_tag"))

    op.drop_table("inventory_history")
    with op.batch_alter_table("inventory_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_conflicts_status"))
        batch_op.drop_index(batch_op.f("ix_inventory_conflicts_asset_tag"))

    op.drop_table("inventory_conflicts")
    with op.batch_alter_table("inventory_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_assets_status"))
        batch_op.drop_index(batch_op.f("ix_inventory_assets_site"))
        batch_op.drop_index(batch_op.f("ix_inventory_assets_kind"))
        batch_op.drop_index(batch_op.f("ix_inventory_assets_funding_source"))

    op.drop_table("inventory_assets")
