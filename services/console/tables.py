"""The console's own store: its read model (workshops, bookings, names, equipment, transfers, conflicts,
what it last heard from each node), staff accounts and login sessions."""

from sqlalchemy import Boolean, Column, Float, MetaData, String, Table, Text

from services.public.catalogue import catalogue_tables
from shared.messaging import MessagingTables

metadata = MetaData()
messaging = MessagingTables(metadata, "console")
catalogue = catalogue_tables(metadata, "console")

# Only the name people are greeted by, from directory events of this node: never e-mail or phone here.
people = Table(
    "console_people", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("display_name", String(120), nullable=False),
)
assets = Table(
    "console_assets", metadata,
    Column("asset_tag", String(80), primary_key=True),
    Column("kind", String(20), nullable=False),
    Column("model", String(120), nullable=False),
    Column("site", String(32), nullable=False, index=True),  # the holding site
    Column("status", String(20), nullable=False),
    Column("condition", String(20), nullable=False),
)
loans = Table(
    "console_loans", metadata,
    Column("loan_id", String(80), primary_key=True),
    Column("asset_tag", String(80), nullable=False, index=True),
    Column("site", String(32), nullable=False, index=True),
    Column("citizen_id", String(64)),
    Column("mode", String(20), nullable=False),
    Column("due_date", String(10), nullable=False),  # ISO date
    Column("status", String(12), nullable=False),  # active | returned
)
transfers = Table(
    "console_transfers", metadata,
    Column("transfer_id", String(80), primary_key=True),
    Column("from_site", String(32), nullable=False),
    Column("to_site", String(32), nullable=False, index=True),
    Column("dispatched_at", Float, nullable=False),
    Column("in_transit", Text, nullable=False),  # tags not scanned in yet, comma-separated
)
conflicts = Table(
    "console_conflicts", metadata,
    Column("conflict_id", String(80), primary_key=True),
    Column("asset_tag", String(80), nullable=False),
    Column("action", String(80), nullable=False),
    Column("node_site", String(32), nullable=False),
    Column("holding_site", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    Column("detected_at", Float, nullable=False),
    Column("resolution", Text),  # None while open
)
origins = Table(
    "console_origins", metadata,
    Column("origin", String(32), primary_key=True),
    Column("last_hlc", String(40), nullable=False),
    Column("last_seen_at", Float, nullable=False),  # when this console took it in (local clock)
)
staff = Table(
    "console_staff", metadata,
    Column("login", String(64), primary_key=True),
    Column("site", String(32), nullable=False),
    Column("display_name", String(120), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
)
sessions = Table(
    "console_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),  # the cookie's SHA-256: a stolen table opens nothing
    Column("login", String(64), nullable=False),
    Column("site", String(32), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("flash", Text),  # "kind|text" shown once on the next page
)
