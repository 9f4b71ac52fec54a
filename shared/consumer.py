"""A durable pull consumer that processes each pulled batch in one transaction.

Why not FastStream's ``PullSub`` here: its per-message path tops out near 3k msgs/s and its batch
mode waits for a full batch or the timeout (PLATFORM-NOTES). ``Puller`` keeps one pull request
open and hands over whatever has arrived, so latency stays low when quiet and batches grow under
load.

Per message: undecodable → dead-letter with the reason, then terminate; handler error → retried
with back-off, dead-lettered after ``max_attempts``; infrastructure error (database or NATS down)
→ retried without counting against the message, never dead-lettered.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.exc import DBAPIError, OperationalError

from shared import faults, metrics
from shared.contract.codec import InvalidEvent, decode
from shared.contract.envelope import Event
from shared.puller import Puller
from shared.topology import DLQ_STREAM, ConsumerSpec, dead_letter_subject

log = logging.getLogger(__name__)

Process = Callable[[list[Event]], Awaitable[set[str]]]
IDLE_POLL = 5.0


# SQLSTATE classes of a database that is away rather than of a request that is wrong: connection
# exceptions (08), operator intervention (57P: shutdown, "cannot connect now"), and 55000 which
# PostgreSQL uses for "database is not currently accepting connections".
_AWAY = ("08", "57P", "55000")


def is_transient(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        if isinstance(exc, OperationalError) or exc.connection_invalidated:
            return True
        sqlstate = str(getattr(exc.orig, "sqlstate", "") or getattr(getattr(exc.orig, "__cause__", None),
                                                                     "sqlstate", "") or "")
        return sqlstate.startswith(_AWAY) or "accepting connections" in str(exc)
    return isinstance(exc, OSError | ConnectionError | TimeoutError)


def retry_delay(attempt: int) -> float:
    return min(60.0, 0.5 * 2 ** max(0, attempt - 1))


class BatchConsumer:
    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        spec: ConsumerSpec,
        site: str,
        process: Process,
        *,
        batch: int = 200,
        max_attempts: int = 5,
    ) -> None:
        self._nc = nc
        self._js = js
        self._spec = spec
        self._site = site
        self._process = process
        self._batch = batch
        self._max_attempts = max_attempts
        self._stopping = False
        self._fetching: asyncio.Task | None = None
        self._infra_backoff = 0.0
        labels = {"service": spec.service, "site": site}
        self._batch_seconds = metrics.BATCH_SECONDS.labels(**labels)
        self._batch_size = metrics.BATCH_SIZE.labels(**labels)
        self._up = metrics.SERVICE_UP.labels(**labels)
        self._pending = metrics.CONSUMER_PENDING.labels(**labels)
        self._ack_pending = metrics.CONSUMER_ACK_PENDING.labels(**labels)
        self._counters: dict[tuple[str, str], object] = {}
        self.ready = asyncio.Event()

    async def run(self) -> None:
        puller = Puller(self._nc, self._spec.stream, self._spec.durable, prefetch=2 * self._batch)
        await puller.start()
        self.ready.set()
        self._up.set(1)
        lag = asyncio.create_task(self._watch_lag())
        try:
            while not self._stopping:
                msgs = await self._fetch(puller)
                if msgs:
                    await self._handle(msgs)
                if self._infra_backoff:
                    await asyncio.sleep(self._infra_backoff)
        finally:
            lag.cancel()
            self._up.set(0)
            await puller.stop()

    async def stop(self) -> None:
        """Finish the batch in hand (drain), then return; a pending long poll is abandoned."""
        self._stopping = True
        if self._fetching is not None:
            self._fetching.cancel()

    async def _fetch(self, puller: Puller) -> list[Msg]:
        self._fetching = asyncio.ensure_future(puller.next_batch(self._batch, IDLE_POLL))
        try:
            return await self._fetching
        except asyncio.CancelledError:
            return []
        except Exception as exc:
            log.warning("%s: fetch failed: %s", self._spec.service, exc)
            self._grow_infra_backoff()
            return []
        finally:
            self._fetching = None

    async def _handle(self, msgs: list[Msg]) -> None:
        started = time.perf_counter()
        decoded: list[tuple[Msg, Event]] = []
        for msg in msgs:
            try:
                decoded.append((msg, decode(msg.subject, msg.data)))
            except InvalidEvent as exc:
                await self._dead_letter(msg, exc.reason, exc.detail)
        if decoded:
            try:
                applied = await self._process([event for _, event in decoded])
            except Exception as exc:
                await self._recover(decoded, exc)
            else:
                faults.point("consumer.before_ack")
                await self._ack_all(decoded, applied)
                self._infra_backoff = 0.0
        self._batch_seconds.observe(time.perf_counter() - started)
        self._batch_size.observe(len(msgs))

    async def _ack_all(self, decoded: list[tuple[Msg, Event]], applied: set[str]) -> None:
        for msg, event in decoded:
            await msg.ack()
            self._count(event.TYPE, "processed" if event.event_id in applied else "duplicate")

    async def _recover(self, decoded: list[tuple[Msg, Event]], exc: Exception) -> None:
        if is_transient(exc):
            log.warning("%s: infrastructure error, will retry: %s", self._spec.service, exc)
            self._grow_infra_backoff()
            for msg, event in decoded:
                await msg.nak(delay=self._infra_backoff)
                self._count(event.TYPE, "retried")
            return
        if len(decoded) > 1:
            # One bad message must not hold back the others: retry each alone to isolate it.
            for pair in decoded:
                try:
                    applied = await self._process([pair[1]])
                except Exception as single_exc:
                    await self._recover([pair], single_exc)
                else:
                    await self._ack_all([pair], applied)
            return
        msg, event = decoded[0]
        attempt = msg.metadata.num_delivered or 1
        if attempt >= self._max_attempts:
            log.error("%s: %s %s failed %d times: %r", self._spec.service, event.TYPE, event.event_id, attempt, exc)
            await self._dead_letter(msg, "handler_failed", f"{type(exc).__name__}: {exc}", event.TYPE)
        else:
            log.warning("%s: %s failed (attempt %d), retrying: %r", self._spec.service, event.TYPE, attempt, exc)
            await msg.nak(delay=retry_delay(attempt))
            self._count(event.TYPE, "retried")

    async def _dead_letter(self, msg: Msg, reason: str, detail: str, event_type: str = "invalid") -> None:
        meta = msg.metadata
        headers = {
            "Nats-Msg-Id": f"dlq:{self._spec.durable}:{meta.stream}:{meta.sequence.stream}",
            "Maillage-Reason": reason,
            "Maillage-Detail": " ".join(detail.split())[:500],
            "Maillage-Subject": msg.subject,
            "Maillage-Consumer": self._spec.durable,
            "Maillage-Stream-Seq": str(meta.sequence.stream),
        }
        try:
            await self._js.publish(
                dead_letter_subject(self._site, self._spec.service),
                msg.data,
                headers=headers,
                stream=DLQ_STREAM,
                timeout=5.0,
            )
        except Exception as exc:
            # Not copied, so not terminated: it will come back rather than vanish.
            log.error("dead-letter copy failed, message kept for retry: %s", exc)
            await msg.nak(delay=retry_delay(3))
            return
        await msg.term()
        log.warning("%s: dead-lettered %s (%s: %s)", self._spec.service, msg.subject, reason, detail)
        metrics.DEAD_LETTERS.labels(service=self._spec.service, site=self._site, reason=reason).inc()
        self._count(event_type, "dead_letter")

    def _count(self, event_type: str, outcome: str) -> None:
        key = (event_type, outcome)
        child = self._counters.get(key)
        if child is None:
            child = metrics.EVENTS_CONSUMED.labels(
                service=self._spec.service, site=self._site, type=event_type, outcome=outcome
            )
            self._counters[key] = child
        child.inc()  # type: ignore[attr-defined]

    def _grow_infra_backoff(self) -> None:
        self._infra_backoff = min(15.0, max(0.25, self._infra_backoff * 2))

    async def _watch_lag(self) -> None:
        while True:
            try:
                info = await self._js.consumer_info(self._spec.stream, self._spec.durable)
                self._pending.set(info.num_pending or 0)
                self._ack_pending.set(info.num_ack_pending or 0)
            except Exception:
                log.debug("consumer_info failed", exc_info=True)
            await asyncio.sleep(5.0)
