"""Initial schema

Revision ID: reporting_0001
Revises: <base>
"""

import sqlalchemy as sa
from alembic import op

revision = "reporting_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reporting_accompaniments",
        sa.Column("record_id", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("staff_id", sa.String(length=64), nullable=True),
        sa.Column("citizen_id", sa.String(length=64), nullable=True),
        sa.Column("age_bracket", sa.String(length=32), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("social_status", sa.String(length=20), nullable=False),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("themes", sa.Text(), nullable=True),
        sa.Column("admin_themes", sa.Text(), nullable=True),
        sa.Column("place_type", sa.String(length=20), nullable=True),
        sa.Column("equipment", sa.Text(), nullable=True),
        sa.Column("autonomy", sa.String(length=40), nullable=True),
        sa.Column("first_time", sa.Boolean(), nullable=True),
        sa.Column("redirected_to", sa.String(length=60), nullable=True),
        sa.Column("version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("record_id"),
    )
    with op.batch_alter_table("reporting_accompaniments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_accompaniments_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_accompaniments_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_accompaniments_site"), ["site"], unique=False)

    op.create_table(
        "reporting_assets",
        sa.Column("asset_tag", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("funding_source", sa.String(length=40), nullable=True),
        sa.Column("described_version", sa.String(length=120), nullable=True),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("site_version", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("status_version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("asset_tag"),
    )
    op.create_table(
        "reporting_attendance",
        sa.Column("booking_id", sa.String(length=80), nullable=False),
        sa.Column("workshop_id", sa.String(length=80), nullable=True),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("citizen_id", sa.String(length=64), nullable=True),
        sa.Column("age_bracket", sa.String(length=32), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("social_status", sa.String(length=20), nullable=False),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("walk_in", sa.Boolean(), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=True),
        sa.Column("version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("booking_id"),
    )
    with op.batch_alter_table("reporting_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_attendance_citizen_id"), ["citizen_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_attendance_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_attendance_site"), ["site"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_attendance_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "reporting_bookings",
        sa.Column("booking_id", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("citizen_id", sa.String(length=64), nullable=True),
        sa.Column("workshop_id", sa.String(length=80), nullable=True),
        sa.Column("resource_id", sa.String(length=80), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=True),
        sa.Column("day_version", sa.String(length=120), nullable=True),
        sa.Column("confirmed", sa.Boolean(), nullable=True),
        sa.Column("waitlisted", sa.Boolean(), nullable=True),
        sa.Column("promoted", sa.Boolean(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=40), nullable=True),
        sa.Column("cancel_version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("booking_id"),
    )
    with op.batch_alter_table("reporting_bookings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_bookings_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_bookings_site"), ["site"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_bookings_workshop_id"), ["workshop_id"], unique=False)

    op.create_table(
        "reporting_citizens",
        sa.Column("citizen_id", sa.String(length=64), nullable=False),
        sa.Column("age_bracket", sa.String(length=32), nullable=False),
        sa.Column("commune_insee", sa.String(length=5), nullable=True),
        sa.Column("social_status", sa.String(length=20), nullable=False),
        sa.Column("gender", sa.String(length=20), nullable=False),
        sa.Column("version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("citizen_id"),
    )
    op.create_table(
        "reporting_inbox",
        sa.Column("consumer", sa.String(length=80), nullable=False),
        sa.Column("event_id", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "reporting_loans",
        sa.Column("loan_id", sa.String(length=80), nullable=False),
        sa.Column("asset_tag", sa.String(length=80), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("mode", sa.String(length=20), nullable=True),
        sa.Column("citizen_id", sa.String(length=64), nullable=True),
        sa.Column("start_day", sa.String(length=10), nullable=True),
        sa.Column("due_day", sa.String(length=10), nullable=True),
        sa.Column("due_version", sa.String(length=120), nullable=True),
        sa.Column("returned_day", sa.String(length=10), nullable=True),
        sa.Column("returned_version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("loan_id"),
    )
    with op.batch_alter_table("reporting_loans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_loans_site"), ["site"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_loans_start_day"), ["start_day"], unique=False)

    op.create_table(
        "reporting_notices",
        sa.Column("delivery_key", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=True),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("audience", sa.String(length=20), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=True),
        sa.Column("version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("delivery_key"),
    )
    with op.batch_alter_table("reporting_notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_notices_day"), ["day"], unique=False)

    op.create_table(
        "reporting_outbox",
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
    with op.batch_alter_table("reporting_outbox", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reporting_outbox_pending",
            ["id"],
            unique=False,
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.create_table(
        "reporting_rejections",
        sa.Column("record_id", sa.String(length=80), nullable=False),
        sa.Column("event_type", sa.String(length=80), nullable=True),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.String(length=60), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("record_id"),
    )
    op.create_table(
        "reporting_sessions",
        sa.Column("workshop_id", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=160), nullable=True),
        sa.Column("themes", sa.Text(), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("booked", sa.Integer(), nullable=True),
        sa.Column("attended", sa.Integer(), nullable=True),
        sa.Column("walk_ins", sa.Integer(), nullable=True),
        sa.Column("no_shows", sa.Integer(), nullable=True),
        sa.Column("version", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("workshop_id"),
    )
    with op.batch_alter_table("reporting_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_sessions_day"), ["day"], unique=False)
        batch_op.create_index(batch_op.f("ix_reporting_sessions_site"), ["site"], unique=False)

    op.create_table(
        "reporting_site_status",
        sa.Column("site", sa.String(length=80), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=True),
        sa.Column("pending", sa.Integer(), nullable=True),
        sa.Column("last_seen_at", sa.Float(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("site"),
    )
    op.create_table(
        "reporting_workshops",
        sa.Column("workshop_id", sa.String(length=80), nullable=False),
        sa.Column("site", sa.String(length=32), nullable=True),
        sa.Column("title", sa.String(length=160), nullable=True),
        sa.Column("themes", sa.Text(), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("day", sa.String(length=10), nullable=True),
        sa.Column("times_version", sa.String(length=120), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("workshop_id"),
    )
    with op.batch_alter_table("reporting_workshops", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reporting_workshops_day"), ["day"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reporting_workshops", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_workshops_day"))

    op.drop_table("reporting_workshops")
    op.drop_table("reporting_site_status")
    with op.batch_alter_table("reporting_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_sessions_site"))
        batch_op.drop_index(batch_op.f("ix_reporting_sessions_day"))

    op.drop_table("reporting_sessions")
    op.drop_table("reporting_rejections")
    with op.batch_alter_table("reporting_outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_reporting_outbox_pending",
            sqlite_where=sa.text("sent_at IS NULL"),
            postgresql_where=sa.text("sent_at IS NULL"),
        )

    op.drop_table("reporting_outbox")
    with op.batch_alter_table("reporting_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_notices_day"))

    op.drop_table("reporting_notices")
    with op.batch_alter_table("reporting_loans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_loans_start_day"))
        batch_op.drop_index(batch_op.f("ix_reporting_loans_site"))

    op.drop_table("reporting_loans")
    op.drop_table("reporting_inbox")
    op.drop_table("reporting_citizens")
    with op.batch_alter_table("reporting_bookings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_bookings_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_reporting_bookings_site"))
        batch_op.drop_index(batch_op.f("ix_reporting_bookings_day"))

    op.drop_table("reporting_bookings")
    with op.batch_alter_table("reporting_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_attendance_workshop_id"))
        batch_op.drop_index(batch_op.f("ix_reporting_attendance_site"))
        batch_op.drop_index(batch_op.f("ix_reporting_attendance_day"))
        batch_op.drop_index(batch_op.f("ix_reporting_attendance_citizen_id"))

    op.drop_table("reporting_attendance")
    op.drop_table("reporting_assets")
    with op.batch_alter_table("reporting_accompaniments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reporting_accompaniments_site"))
        batch_op.drop_index(batch_op.f("ix_reporting_accompaniments_day"))
        batch_op.drop_index(batch_op.f("ix_reporting_accompaniments_citizen_id"))

    op.drop_table("reporting_accompaniments")
