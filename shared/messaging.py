"""Inbox and outbox tables and the unit of work that writes them with a service's own changes.

One transaction holds the state change, the inbox rows ``(consumer, event_id)`` of what was
processed (primary key: a redelivery is a no-op) and the outbox rows of the events it emits.
"""

import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared.bulk import execute_many
from shared.contract.envelope import Event, subject_for
from shared.hlc import HybridClock

# SQLite only reuses no id with AUTOINCREMENT on an INTEGER PRIMARY KEY; the outbox id is origin_seq.
_OUTBOX_ID = BigInteger().with_variant(Integer(), "sqlite")


class MessagingTables:
    def __init__(self, metadata: MetaData, service: str) -> None:
        self.inbox = Table(
            f"{service}_inbox",
            metadata,
            Column("consumer", String(80), primary_key=True),
            Column("event_id", String(80), primary_key=True),
            Column("processed_at", Float, nullable=False),
        )
        self.outbox = Table(
            f"{service}_outbox",
            metadata,
            Column("id", _OUTBOX_ID, primary_key=True, autoincrement=True),
            Column("event_id", String(80), nullable=False, unique=True),
            Column("subject", String(200), nullable=False),
            Column("body", LargeBinary, nullable=False),
            Column("created_at", Float, nullable=False),
            Column("sent_at", Float, nullable=True),
            Column("attempts", Integer, nullable=False, default=0),
            Column("last_error", Text, nullable=True),
            sqlite_autoincrement=True,
        )
        Index(
            f"ix_{service}_outbox_pending",
            self.outbox.c.id,
            sqlite_where=self.outbox.c.sent_at.is_(None),
            postgresql_where=self.outbox.c.sent_at.is_(None),
        )


class UnitOfWork:
    """Rolls back unless committed. Services subclass it to add their repositories."""

    def __init__(
        self, engine: AsyncEngine, tables: MessagingTables, origin: str, clock: HybridClock, now: Any
    ) -> None:
        self._engine = engine
        self._tables = tables
        self.origin = origin
        self._clock = clock
        self._now = now
        self._pending: list[dict[str, Any]] = []
        self._processed: list[dict[str, Any]] = []
        self.cause: Event | None = None
        # The outbox relay's acknowledged rows, marked sent in this transaction (see shared/relay.py).
        self.relay: Any = None
        self.conn: AsyncConnection
        self.committed = False

    async def __aenter__(self) -> Self:
        self.conn = await self._engine.connect()
        try:
            await self.conn.begin()
        except BaseException:
            await self.conn.close()  # BEGIN failed (database locked or down): give the connection back
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            if not self.committed:
                await self.conn.rollback()
        finally:
            await self.conn.close()

    def now(self) -> Any:
        return self._now()

    async def claim(self, consumer: str, events: Iterable[Event]) -> list[Event]:
        """The events not processed yet by ``consumer``; recorded as processed at commit."""
        batch = list(events)
        ids = [e.event_id for e in batch]
        inbox = self._tables.inbox
        seen = set(
            (
                await self.conn.execute(
                    select(inbox.c.event_id).where(inbox.c.consumer == consumer, inbox.c.event_id.in_(ids))
                )
            ).scalars()
        )
        fresh: list[Event] = []
        at = self._now().timestamp()
        for event in batch:
            if event.event_id in seen:
                continue
            seen.add(event.event_id)  # the same event twice in one batch
            fresh.append(event)
            self._processed.append({"consumer": consumer, "event_id": event.event_id, "processed_at": at})
        return fresh

    def emit(self, *events: Event) -> None:
        for event in events:
            self._clock_observe()
            cause = self.cause
            stamped = event.model_copy(
                update={
                    "origin": self.origin,
                    "hlc": self._clock.now(),
                    "occurred_at": self._now(),
                    "correlation_id": (cause.correlation_id or cause.event_id) if cause else None,
                    "causation_id": cause.event_id if cause else None,
                }
            )
            self._pending.append(
                {
                    "event_id": stamped.event_id,
                    "subject": subject_for(self.origin, stamped.TYPE),
                    # origin_seq is the outbox row id, known only after insert: the relay writes it.
                    "body": stamped.model_dump_json(exclude={"origin_seq"}).encode(),
                    "created_at": self._now().timestamp(),
                    "attempts": 0,
                }
            )

    def _clock_observe(self) -> None:
        if self.cause is not None and self.cause.hlc:
            self._clock.observe(self.cause.hlc)

    @property
    def emitted(self) -> int:
        return len(self._pending)

    async def preload(self, events: list[Event]) -> None:
        """Subclasses load, in a few queries, the aggregates a batch will touch."""

    async def save_state(self) -> None:
        """Subclasses write their repositories' changes here."""

    async def commit(self) -> None:
        await self.save_state()
        if self._processed:
            await execute_many(self.conn, insert(self._tables.inbox), self._processed)
        if self._pending:
            await execute_many(self.conn, insert(self._tables.outbox), self._pending)
        sent = self.relay.take_acked() if self.relay is not None else []
        try:
            outbox = self._tables.outbox
            for start in range(0, len(sent), 500):
                chunk = sent[start:start + 500]
                await self.conn.execute(update(outbox).where(outbox.c.id.in_(chunk)).values(sent_at=time.time()))
            await self.conn.commit()
        except BaseException:
            if self.relay is not None:
                self.relay.settled(sent, committed=False)
            raise
        if self.relay is not None:
            self.relay.settled(sent, committed=True)
        self.committed = True
