"""A durable pull consumer that hands each pulled batch to the services of this process.

Each service (a ``Subscriber``) applies its part of the batch in one transaction of its own, with its
inbox; a message is acknowledged once every service that reads it has applied it, and redelivered
otherwise (the ones that did apply it skip it then, by their inbox). A process running one service
is a group of one.

Why not FastStream's ``PullSub`` here: its per-message path tops out near 3k msgs/s and its batch
mode waits for a full batch or the timeout (PLATFORM-NOTES). ``Puller`` keeps one pull request
open and hands over whatever has arrived, so latency stays low when quiet and batches grow under
load.

Per message and service: undecodable → dead-letter with the reason, then terminate; handler error →
retried with back-off, dead-lettered after ``max_attempts``; infrastructure error (database or NATS
down) → retried without counting against the message, never dead-lettered.
"""

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from sqlalchemy.exc import DBAPIError, OperationalError

from shared import faults, metrics
from shared.contract.codec import InvalidEvent, decode
from shared.contract.envelope import Event
from shared.logs import bind
from shared.puller import Puller
from shared.topology import DLQ_STREAM, Delivery, dead_letter_subject, subject_matches

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


@dataclass
class Subscriber:
    """One service of the process: the subjects it reads and how it applies a batch of them."""

    service: str
    subjects: list[str]
    process: Process
    max_attempts: int = 5

    def reads(self, subject: str) -> bool:
        return any(subject_matches(p, subject) for p in self.subjects)


Pair = tuple[Msg, Event]


class BatchConsumer:
    def __init__(
        self,
        nc: NATS,
        js: JetStreamContext,
        delivery: Delivery,
        site: str,
        subscribers: list[Subscriber],
        *,
        batch: int = 200,
    ) -> None:
        self._nc = nc
        self._js = js
        self.delivery = delivery
        self._site = site
        self._subscribers = subscribers
        self._batch = batch
        self._stopping = False
        self._fetching: asyncio.Task | None = None
        self._infra_backoff = 0.0
        self._transient = False  # an infrastructure error in the batch in hand
        self._labels = [{"service": s.service, "site": site} for s in subscribers]
        self._up = [metrics.SERVICE_UP.labels(**labels) for labels in self._labels]
        self._batch_figures = {  # by service: batch duration and size
            labels["service"]: (metrics.BATCH_SECONDS.labels(**labels), metrics.BATCH_SIZE.labels(**labels))
            for labels in self._labels
        }
        self._counters: dict[tuple[str, str, str], object] = {}
        self._readers_of: dict[str, tuple[int, ...]] = {}
        self.ready = asyncio.Event()

    @property
    def durable(self) -> str:
        return self.delivery.durable

    async def run(self) -> None:
        puller = Puller(self._nc, self.delivery.stream, self.durable, prefetch=2 * self._batch)
        await puller.start()
        self.ready.set()
        for up in self._up:
            up.set(1)
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
            for up in self._up:
                up.set(0)
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
            log.warning("%s: fetch failed: %s", self.durable, exc)
            self._grow_infra_backoff()
            return []
        finally:
            self._fetching = None

    async def _handle(self, msgs: list[Msg]) -> None:
        # Decoded once: every service that reads a message gets the same event (frozen, so shared safely).
        decoded: list[Pair] = []
        for msg in msgs:
            try:
                decoded.append((msg, decode(msg.subject, msg.data)))
            except InvalidEvent as exc:
                await self._reject(msg, exc)
        if not decoded:
            return
        retry: dict[int, float] = {}  # by id(msg): redeliver after this many seconds
        self._transient = False
        parts: list[list[Pair]] = [[] for _ in self._subscribers]
        for pair in decoded:
            for index in self._readers(pair[0].subject):
                parts[index].append(pair)
        for subscriber, mine in zip(self._subscribers, parts, strict=True):
            if mine:
                started = time.perf_counter()
                with bind(service=subscriber.service):
                    await self._apply(subscriber, mine, retry)
                seconds, size = self._batch_figures[subscriber.service]
                seconds.observe(time.perf_counter() - started)
                size.observe(len(mine))
        if not self._transient:
            self._infra_backoff = 0.0
        faults.point("consumer.before_ack")
        for msg, _ in decoded:
            delay = retry.get(id(msg))
            if delay is None:
                await msg.ack()
            else:
                await msg.nak(delay=delay)

    def _readers(self, subject: str) -> tuple[int, ...]:
        """The subscribers (by index) that read ``subject``: a few hundred subjects, each worked out once."""
        readers = self._readers_of.get(subject)
        if readers is None:
            readers = self._readers_of[subject] = tuple(
                i for i, s in enumerate(self._subscribers) if s.reads(subject))
        return readers

    async def _apply(self, subscriber: Subscriber, pairs: list[Pair], retry: dict[int, float]) -> None:
        """Apply ``pairs`` for one service; what must come back later goes into ``retry``."""
        try:
            applied = await subscriber.process([event for _, event in pairs])
        except Exception as exc:
            await self._recover(subscriber, pairs, exc, retry)
            return
        counts: Counter[tuple[str, str]] = Counter(
            (event.TYPE, "processed" if event.event_id in applied else "duplicate") for _, event in pairs)
        for (event_type, outcome), count in counts.items():
            self._count(subscriber.service, event_type, outcome, count)

    async def _recover(self, subscriber: Subscriber, pairs: list[Pair], exc: Exception,
                       retry: dict[int, float]) -> None:
        name = subscriber.service
        if is_transient(exc):
            log.warning("%s: infrastructure error, will retry: %s", name, exc)
            if not self._transient:  # once per batch, however many services saw it
                self._grow_infra_backoff()
            self._transient = True
            for msg, event in pairs:
                retry[id(msg)] = max(retry.get(id(msg), 0.0), self._infra_backoff)
                self._count(name, event.TYPE, "retried")
            return
        if len(pairs) > 1:
            # One bad message must not hold back the others: retry each alone to isolate it.
            for pair in pairs:
                await self._apply(subscriber, [pair], retry)
            return
        msg, event = pairs[0]
        attempt = msg.metadata.num_delivered or 1
        if attempt >= subscriber.max_attempts:
            log.error("%s: %s %s failed %d times: %r", name, event.TYPE, event.event_id, attempt, exc)
            if not await self._dead_letter(msg, name, "handler_failed", f"{type(exc).__name__}: {exc}", event.TYPE):
                retry[id(msg)] = max(retry.get(id(msg), 0.0), retry_delay(3))
        else:
            log.warning("%s: %s failed (attempt %d), retrying: %r", name, event.TYPE, attempt, exc)
            retry[id(msg)] = max(retry.get(id(msg), 0.0), retry_delay(attempt))
            self._count(name, event.TYPE, "retried")

    async def _reject(self, msg: Msg, exc: InvalidEvent) -> None:
        """An undecodable message: a dead letter for each service that reads its subject, then terminated."""
        readers = [s.service for s in self._subscribers if s.reads(msg.subject)] or [self.durable]
        copied = [await self._dead_letter(msg, name, exc.reason, exc.detail) for name in readers]
        if all(copied):
            await msg.term()
        else:  # not copied, so not terminated: it will come back rather than vanish
            await msg.nak(delay=retry_delay(3))

    async def _dead_letter(self, msg: Msg, service: str, reason: str, detail: str,
                           event_type: str = "invalid") -> bool:
        """Copies ``msg`` to TL_DLQ for ``service``, with the reason; False if the copy failed."""
        meta = msg.metadata
        headers = {
            "Nats-Msg-Id": f"dlq:{service}:{meta.stream}:{meta.sequence.stream}",
            "Maillage-Reason": reason,
            "Maillage-Detail": " ".join(detail.split())[:500],
            "Maillage-Subject": msg.subject,
            "Maillage-Consumer": service,
            "Maillage-Stream-Seq": str(meta.sequence.stream),
        }
        try:
            await self._js.publish(
                dead_letter_subject(self._site, service), msg.data, headers=headers, stream=DLQ_STREAM, timeout=5.0
            )
        except Exception as exc:
            log.error("dead-letter copy failed, message kept for retry: %s", exc)
            return False
        log.warning("%s: dead-lettered %s (%s: %s)", service, msg.subject, reason, detail)
        metrics.DEAD_LETTERS.labels(service=service, site=self._site, reason=reason).inc()
        self._count(service, event_type, "dead_letter")
        return True

    def _count(self, service: str, event_type: str, outcome: str, count: int = 1) -> None:
        key = (service, event_type, outcome)
        child = self._counters.get(key)
        if child is None:
            child = metrics.EVENTS_CONSUMED.labels(service=service, site=self._site, type=event_type, outcome=outcome)
            self._counters[key] = child
        child.inc(count)  # type: ignore[attr-defined]

    def _grow_infra_backoff(self) -> None:
        self._infra_backoff = min(15.0, max(0.25, self._infra_backoff * 2))

    async def _watch_lag(self) -> None:
        pending = [metrics.CONSUMER_PENDING.labels(**labels) for labels in self._labels]
        ack_pending = [metrics.CONSUMER_ACK_PENDING.labels(**labels) for labels in self._labels]
        while True:
            try:
                info = await self._js.consumer_info(self.delivery.stream, self.durable)
                for gauge in pending:
                    gauge.set(info.num_pending or 0)
                for gauge in ack_pending:
                    gauge.set(info.num_ack_pending or 0)
            except Exception:
                log.debug("consumer_info failed", exc_info=True)
            await asyncio.sleep(5.0)
