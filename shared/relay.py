"""The outbox relay: publishes committed events to JetStream, marks them sent only after the ack.

Rows are published in id order with ``Nats-Msg-Id = event_id``. Acknowledged rows are marked sent
in groups, preferably inside the service's next transaction (``take_acked``/``settled``): on SQLite a
separate mark is a write that queues behind the consumer's transactions (SQLite's busy handler
sleeps up to 100 ms a try), which stalled publishing and made p99 latency seconds long. The relay
marks by itself only when no transaction did it for ``MARK_EVERY`` seconds (a quiet service).
A crash between the ack and the mark only re-publishes rows that JetStream then drops as
duplicates (its window is 120 s, far above the mark interval). Rows without an ack stay pending
and are retried with back-off; nothing is ever given up on.
"""

import asyncio
import logging
import time

from nats.js import JetStreamContext
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import faults, metrics
from shared.db import reading
from shared.messaging import MessagingTables

log = logging.getLogger(__name__)

BATCH = 1000
PUBLISH_TIMEOUT = 10.0
MAX_BACKOFF = 30.0
MARK_EVERY = 0.5
Row = tuple[int, str, str, bytes]


def with_origin_seq(seq: int, body: bytes) -> bytes:
    # The stored body is a JSON object without origin_seq; put it first rather than re-serialising.
    return b'{"origin_seq":%d,%s' % (seq, body[1:])


class OutboxRelay:
    def __init__(
        self, engine: AsyncEngine, tables: MessagingTables, js: JetStreamContext, service: str, site: str
    ) -> None:
        self._engine = engine
        self._outbox = tables.outbox
        self._js = js
        self._wake = asyncio.Event()
        self._stopping = False
        # Highest row id handed to JetStream since the last mark. Only a shortcut: on PostgreSQL ids
        # can commit out of order (id 11 visible before id 10), so every mark rescans from 0.
        self._cursor = 0
        self._acked: list[int] = []  # acknowledged, not yet marked in the database
        self._marking: set[int] = set()  # handed to a transaction that has not committed yet
        self._retry: dict[int, Row] = {}
        self._errors: dict[int, str] = {}
        self._backoff = 0.0
        self._retry_at = 0.0
        self._marked_at = time.monotonic()
        self._backlog = metrics.OUTBOX_BACKLOG.labels(service=service, site=site)
        self._published = metrics.OUTBOX_PUBLISHED.labels(service=service, site=site)
        self._failures = metrics.OUTBOX_FAILURES.labels(service=service, site=site)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Stop after one last pass and mark, so what was committed before shutdown is sent."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self._pass()
                if self._acked and (self._stopping or time.monotonic() - self._marked_at >= MARK_EVERY):
                    await self._mark()
            except Exception as exc:  # the database may be briefly unavailable: keep going
                log.warning("outbox relay: %s (will retry)", exc)
                self._grow_backoff()
            if self._stopping and (not self._retry or self._backoff):
                if self._acked:
                    await self._mark()
                return
            wait = MARK_EVERY if self._acked else 1.0
            if self._retry:
                wait = min(wait, max(0.0, self._retry_at - time.monotonic()))
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(wait, 0.01))
            except TimeoutError:
                if not self._acked:
                    self._cursor = 0  # quiet moment: rescan for rows that committed late

    async def _pass(self) -> None:
        if self._retry and time.monotonic() >= self._retry_at:
            rows, self._retry = list(self._retry.values()), {}
            await self._publish(sorted(rows))
        while not self._retry or self._backoff == 0.0:
            rows = await self._pending_rows()
            if not rows:
                return
            self._cursor = rows[-1][0]
            await self._publish([row for row in rows if row[0] not in self._retry and row[0] not in self._marking])
            if len(self._acked) >= BATCH:
                await self._mark()

    def _grow_backoff(self) -> None:
        self._backoff = min(MAX_BACKOFF, max(0.2, self._backoff * 2))
        self._retry_at = time.monotonic() + self._backoff

    async def _pending_rows(self) -> list[Row]:
        o = self._outbox
        async with reading(self._engine) as conn:
            result = await conn.execute(
                select(o.c.id, o.c.event_id, o.c.subject, o.c.body)
                .where(o.c.sent_at.is_(None), o.c.id > self._cursor)
                .order_by(o.c.id)
                .limit(BATCH)
            )
            return [(r[0], r[1], r[2], r[3]) for r in result]

    async def _publish(self, rows: list[Row]) -> None:
        faults.point("relay.before_publish")
        futures: list[tuple[Row, asyncio.Future]] = []
        for row in rows:
            row_id, event_id, subject, body = row
            try:
                fut = await self._js.publish_async(
                    subject, with_origin_seq(row_id, body), headers={"Nats-Msg-Id": event_id}
                )
            except Exception as exc:
                self._failed(row, repr(exc))
                continue
            futures.append((row, fut))
        if futures:
            _done, not_done = await asyncio.wait([f for _, f in futures], timeout=PUBLISH_TIMEOUT)
            for fut in not_done:
                fut.cancel()  # releases nats-py's in-flight slot
        ok = 0
        for row, fut in futures:
            if fut.cancelled():
                self._failed(row, "no JetStream ack")
            elif fut.exception() is not None:
                self._failed(row, repr(fut.exception()))
            else:
                self._acked.append(row[0])
                ok += 1
        self._published.inc(ok)
        faults.point("relay.after_ack")
        if not self._retry:
            self._backoff = 0.0

    def _failed(self, row: Row, error: str) -> None:
        self._retry[row[0]] = row
        self._errors[row[0]] = error[:500]
        self._failures.inc()
        if len(self._retry) == 1 or self._backoff == 0.0:
            log.warning("outbox: event %s not acknowledged by JetStream (%s), will retry", row[1], error)
        self._grow_backoff()

    def take_acked(self) -> list[int]:
        """Rows for the caller's transaction to mark sent; it must call ``settled`` afterwards."""
        acked, self._acked = self._acked, []
        self._marking.update(acked)
        return acked

    def settled(self, ids: list[int], committed: bool) -> None:
        self._marking.difference_update(ids)
        if committed:
            self._marked_at = time.monotonic()
        else:
            self._acked = ids + self._acked

    async def _mark(self) -> None:
        o = self._outbox
        acked, self._acked = self._acked, []
        errors, self._errors = self._errors, {}
        try:
            async with self._engine.begin() as conn:
                for start in range(0, len(acked), 500):
                    chunk = acked[start:start + 500]
                    await conn.execute(update(o).where(o.c.id.in_(chunk)).values(sent_at=time.time()))
                for row_id, error in errors.items():
                    await conn.execute(
                        update(o).where(o.c.id == row_id).values(attempts=o.c.attempts + 1, last_error=error)
                    )
                pending = await conn.scalar(select(func.count()).select_from(o).where(o.c.sent_at.is_(None)))
        except Exception:
            self._acked = acked + self._acked  # try again at the next mark; nothing is lost meanwhile
            raise
        self._marked_at = time.monotonic()
        self._cursor = 0
        self._backlog.set(pending or 0)
