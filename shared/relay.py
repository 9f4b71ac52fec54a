"""The outbox relay: publishes committed events to JetStream, marks them sent only after the ack.

Rows are published with ``Nats-Msg-Id = event_id`` so a crash between the ack and the "sent" mark
only re-publishes what JetStream then drops as a duplicate. Failed rows stay pending and are retried
with back-off; nothing is ever given up on.
"""

import asyncio
import logging
import time

from nats.js import JetStreamContext
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import metrics
from shared.messaging import MessagingTables

log = logging.getLogger(__name__)

BATCH = 500
PUBLISH_TIMEOUT = 10.0
MAX_BACKOFF = 30.0


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
        self._backoff = 0.0
        self._backlog = metrics.OUTBOX_BACKLOG.labels(service=service, site=site)
        self._published = metrics.OUTBOX_PUBLISHED.labels(service=service, site=site)
        self._failures = metrics.OUTBOX_FAILURES.labels(service=service, site=site)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Stop after one last pass, so that what was committed before shutdown is sent."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while True:
            self._wake.clear()
            sent_all = await self._pass()
            if self._stopping and (sent_all or self._backoff):
                return
            if sent_all:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=1.0)
                except TimeoutError:
                    pass
            elif self._backoff:
                await asyncio.sleep(self._backoff)

    async def _pass(self) -> bool:
        """Publish pending rows until none are left; False if something failed."""
        while True:
            try:
                rows = await self._pending_rows()
            except Exception as exc:  # the database may be briefly unavailable
                log.warning("outbox read failed: %s", exc)
                self._grow_backoff()
                return False
            if not rows:
                self._backlog.set(0)
                self._backoff = 0.0
                return True
            sent, failed = await self._publish(rows)
            try:
                await self._mark(sent, failed)
            except Exception as exc:
                log.warning("outbox mark failed (rows will be re-sent, de-duplicated): %s", exc)
                self._grow_backoff()
                return False
            self._published.inc(len(sent))
            if failed:
                self._failures.inc(len(failed))
                self._grow_backoff()
                await self._update_backlog()
                return False
            self._backoff = 0.0

    def _grow_backoff(self) -> None:
        self._backoff = min(MAX_BACKOFF, max(0.2, self._backoff * 2))

    async def _pending_rows(self) -> list[tuple[int, str, str, bytes]]:
        o = self._outbox
        async with self._engine.connect() as conn:
            result = await conn.execute(
                select(o.c.id, o.c.event_id, o.c.subject, o.c.body)
                .where(o.c.sent_at.is_(None))
                .order_by(o.c.id)
                .limit(BATCH)
            )
            return [(r[0], r[1], r[2], r[3]) for r in result]

    async def _publish(self, rows: list[tuple[int, str, str, bytes]]) -> tuple[list[int], dict[int, str]]:
        futures: list[asyncio.Future] = []
        ids: list[int] = []
        failed: dict[int, str] = {}
        for row_id, event_id, subject, body in rows:
            try:
                fut = await self._js.publish_async(
                    subject, with_origin_seq(row_id, body), headers={"Nats-Msg-Id": event_id}, wait_stall=5.0
                )
            except Exception as exc:
                failed[row_id] = repr(exc)
                continue
            futures.append(fut)
            ids.append(row_id)
        if futures:
            _done, not_done = await asyncio.wait(futures, timeout=PUBLISH_TIMEOUT)
            for fut in not_done:
                fut.cancel()  # releases nats-py's in-flight slot
        sent = []
        for row_id, fut in zip(ids, futures, strict=True):
            if fut.done() and not fut.cancelled() and fut.exception() is None:
                sent.append(row_id)
            else:
                failed[row_id] = "no JetStream ack" if not fut.done() or fut.cancelled() else repr(fut.exception())
        return sent, failed

    async def _mark(self, sent: list[int], failed: dict[int, str]) -> None:
        o = self._outbox
        async with self._engine.begin() as conn:
            if sent:
                await conn.execute(update(o).where(o.c.id.in_(sent)).values(sent_at=time.time()))
            for row_id, error in failed.items():
                await conn.execute(
                    update(o).where(o.c.id == row_id).values(attempts=o.c.attempts + 1, last_error=error[:500])
                )
        if failed:
            log.warning("outbox: %d events not acknowledged by JetStream, will retry", len(failed))

    async def _update_backlog(self) -> None:
        try:
            async with self._engine.connect() as conn:
                count = await conn.scalar(
                    select(func.count()).select_from(self._outbox).where(self._outbox.c.sent_at.is_(None))
                )
            self._backlog.set(count or 0)
        except Exception:  # metrics must never take the relay down
            log.debug("backlog count failed", exc_info=True)
