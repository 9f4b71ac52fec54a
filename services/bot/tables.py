"""The bot's own store: its catalogue copy, who talks to it (chat ↔ pseudonymous id) and the messages
the notifications service gave it to pass on."""

from sqlalchemy import BigInteger, Column, Float, MetaData, String, Table, Text

from services.public.catalogue import catalogue_tables
from shared.messaging import MessagingTables

metadata = MetaData()
messaging = MessagingTables(metadata, "bot")
catalogue = catalogue_tables(metadata, "bot")

# The only place a chat id is kept: events name the person by citizen_id alone.
chats = Table(
    "bot_chats", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("chat_id", BigInteger, nullable=False, unique=True),
    Column("active", String(1), nullable=False, default="y"),  # "n" after /stop
)
deliveries = Table(
    "bot_deliveries", metadata,
    Column("delivery_key", String(200), primary_key=True),  # once per key, even if the stream is replayed
    Column("chat_id", BigInteger, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("text", Text, nullable=False),
    Column("received_at", Float, nullable=False),
    Column("sent_at", Float),
    Column("attempts", BigInteger, nullable=False, default=0),
)
