"""Privacy's tables (SQLAlchemy Core). Times are UTC POSIX seconds. No name, no contact detail here.

- ``erasures``: the erasure log — the pseudonymous id and the date, nothing else. Checked before
  anything about the person is taken in again (a late or replayed registration is stale).
- ``applied``: at the hub, which node has applied which erasure (``privacy.erasure_applied``).
- ``people``: who has a directory profile on this node (``registered_at``) and their last activity,
  for the retention job. Activity of people without a profile here is kept too (it may come first).
- ``scrubs``: stream copies still to erase for a person (work queue of the scrub job).
- ``access_log``: who viewed, exported or erased personal data, when, about whom.
"""

from datetime import UTC, datetime

from sqlalchemy import Column, Float, Index, Integer, MetaData, String, Table

from shared.messaging import MessagingTables

metadata = MetaData()
messaging = MessagingTables(metadata, "privacy")

erasures = Table(
    "privacy_erasures", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("erased_at", Float, nullable=False),
)
applied = Table(
    "privacy_applied", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("node", String(32), primary_key=True),
    Column("applied_at", Float, nullable=False),
    Column("stream_messages", Integer, nullable=False),
)
people = Table(
    "privacy_people", metadata,
    Column("citizen_id", String(64), primary_key=True),
    Column("registered_at", Float),  # None: no directory profile seen on this node
    Column("last_activity_at", Float, nullable=False),
)
Index("ix_privacy_people_activity", people.c.last_activity_at)
scrubs = Table(
    "privacy_scrubs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("citizen_id", String(64), nullable=False),
    Column("before_at", Float, nullable=False),  # copies that occurred up to then are erased
    Column("erasure_id", String(80)),  # None: a stale copy that arrived after the erasure
    Column("created_at", Float, nullable=False),
    Column("done_at", Float),
    Column("stream_messages", Integer),
)
access_log = Table(
    "privacy_access_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", Float, nullable=False, index=True),
    Column("node", String(32), nullable=False),
    Column("staff_id", String(64), nullable=False),
    Column("action", String(20), nullable=False),  # viewed, exported, erased, consent
    Column("citizen_id", String(64), index=True),
    Column("detail", String(200)),
)


def ts(value: datetime) -> float:
    return value.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)
