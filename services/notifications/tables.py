"""Notifications' tables (SQLAlchemy Core). Times are UTC POSIX seconds, like booking's.

- ``contacts``/``consents``/``purpose_consents``: the per-node directory, fed only by ``directory.*``
  and ``privacy.purpose_consent_changed`` events; ``erased``: who was erased, when (services/privacy).
- ``activities``/``bookings``: what templates and reminders need from booking events.
- ``messages``: one thing to tell one recipient, unique per (kind, subject, recipient), written in
  the transaction that consumed the event that decided it (with the inbox row).
- ``deliveries``: one per channel tried, unique per idempotency key; the sender's work queue.
- ``attempts``: the delivery log, one row per provider call, written *before* the call.
- ``calls``: the staff call list.
"""

from datetime import UTC, datetime

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text

from shared.messaging import MessagingTables

metadata = MetaData()
messaging = MessagingTables(metadata, "notifications")

_ID = Integer  # autoincrement on both SQLite and PostgreSQL (SERIAL)

contacts = Table(
    "notifications_contacts", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("site", String(32), nullable=False),
    Column("display_name", String(120)),
    Column("email", String(254)),
    Column("phone", String(32)),
    Column("preferred_channel", String(12)),
    Column("language", String(2), nullable=False),
    Column("call_if_unreachable", Boolean, nullable=False),
    Column("updated_at", Float, nullable=False),
)
consents = Table(
    "notifications_consents", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("channel", String(12), primary_key=True),
    Column("granted", Boolean, nullable=False),
    Column("changed_at", Float, nullable=False),
    Column("staff_id", String(64)),
)
# Consent per purpose (booking_messages, reminders, newsletters) and channel ("*": every channel).
purpose_consents = Table(
    "notifications_purpose_consents", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("purpose", String(20), primary_key=True),
    Column("channel", String(12), primary_key=True),
    Column("granted", Boolean, nullable=False),
    Column("changed_at", Float, nullable=False),
    Column("staff_id", String(64)),
)
# Erasure log (privacy.citizen_erased): id and date only. A card registered before that date never
# makes a row again. ``compacted``: the WAL has been checkpointed since (no old page left in it).
erased = Table(
    "notifications_erased", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("erased_at", Float, nullable=False),
    Column("compacted", Boolean, nullable=False),
)
activities = Table(
    "notifications_activities", metadata,
    Column("activity_id", String(80), primary_key=True),
    Column("kind", String(12), nullable=False),  # workshop, workstation, mediator
    Column("site", String(32), nullable=False),
    Column("title", String(160), nullable=False),
    Column("room", String(80)),
    Column("starts_at", Float),
    Column("ends_at", Float),
    Column("status", String(12), nullable=False),
)
bookings = Table(
    "notifications_bookings", metadata,
    Column("booking_id", String(80), primary_key=True),
    Column("citizen_id", String(64), nullable=False, index=True),
    Column("site", String(32), nullable=False),
    Column("activity_id", String(80), index=True),
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("status", String(12), nullable=False),
    Column("ics_sequence", Integer, nullable=False),
    Column("in_calendar", Boolean, nullable=False),
)
messages = Table(
    "notifications_messages", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("message_key", String(300), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("subject_id", String(200), nullable=False),
    Column("recipient", String(80), nullable=False, index=True),
    Column("site", String(32), nullable=False),
    Column("booking_id", String(80), index=True),
    Column("due_at", Float, nullable=False),
    Column("not_after", Float),
    # scheduled → routed → sent | cancelled | expired | withheld | undeliverable
    Column("state", String(16), nullable=False),
    Column("reason", String(200)),
    Column("context", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
)
Index("ix_notifications_messages_due", messages.c.state, messages.c.due_at)
deliveries = Table(
    "notifications_deliveries", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("message_id", Integer, ForeignKey(messages.c.id), nullable=False, index=True),
    Column("channel", String(12), nullable=False),
    Column("delivery_key", String(64), nullable=False, unique=True),
    # pending → sending → sent | failed | cancelled  (sending with an expired lease: retried)
    Column("state", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", Float, nullable=False),
    Column("lease_until", Float),
    Column("deferred", Boolean, nullable=False),  # waiting for the end of quiet hours
    Column("sent_at", Float),
    Column("provider_ref", String(200)),
    Column("last_error", Text),
    Column("created_at", Float, nullable=False),
)
Index("ix_notifications_deliveries_due", deliveries.c.state, deliveries.c.next_attempt_at)
attempts = Table(
    "notifications_attempts", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey(deliveries.c.id), nullable=False, index=True),
    Column("attempt", Integer, nullable=False),
    Column("channel", String(12), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("finished_at", Float),
    # started (no answer yet: a crash leaves it so) → sent | transient | permanent | skipped | unknown
    Column("outcome", String(12), nullable=False),
    Column("detail", Text),
)
calls = Table(
    "notifications_calls", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    Column("delivery_id", Integer, ForeignKey(deliveries.c.id), nullable=False, unique=True),
    Column("site", String(32), nullable=False, index=True),
    Column("citizen_id", String(64), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("reason", String(40), nullable=False),  # consented, fallback, no_channel
    Column("listed_at", Float, nullable=False),
    Column("expires_at", Float),
    Column("done_at", Float),
    Column("done_by", String(64)),
)


def ts(value: datetime) -> float:
    return value.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
