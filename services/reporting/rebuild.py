"""Rebuild: empty the read models, then replay the node's stream(s) from the start through the very
same projections and unit of work as the live consumer — so the figures come out identical.

Safe beside the running service: the inbox is rebuilt too, so an event both replayed here and
delivered live is applied once; read-model rows are locked while merged (PostgreSQL).
"""

import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting import app, store
from services.reporting.settings import ReportingSettings
from shared.bus import MessageBus
from shared.contract.codec import InvalidEvent, decode
from shared.contract.envelope import Event
from shared.hlc import HybridClock
from shared.messaging import UnitOfWork
from shared.service import ServiceDefinition
from shared.topology import origin_stream_name

BATCH = 500
FETCH_TIMEOUT = 1.0


@dataclass
class RebuildReport:
    streams: list[str]
    read: int = 0
    applied: int = 0
    invalid: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def lines(self) -> list[str]:
        out = [f"flux rejoués : {', '.join(self.streams)}",
               f"événements lus : {self.read}, appliqués : {self.applied}, "
               f"doublons ignorés : {self.read - self.applied - sum(self.invalid.values())}",
               f"durée : {self.seconds:.1f} s"]
        out += [f"ignorés ({reason}) : {count}" for reason, count in sorted(self.invalid.items())]
        return out


def _bus(definition: ServiceDefinition, engine: AsyncEngine, site: str) -> MessageBus:
    clock = HybridClock()

    def unit_of_work() -> UnitOfWork:
        uow = definition.uow_class(engine, definition.tables, site, clock, lambda: datetime.now(UTC))
        definition.configure_uow(uow)
        return uow

    return MessageBus(definition.name, unit_of_work, definition.handlers)


async def rebuild(
    js: JetStreamContext, engine: AsyncEngine, settings: ReportingSettings, streams: list[str] | None = None
) -> RebuildReport:
    definition = app.definition(settings)
    report = RebuildReport(streams or [origin_stream_name(settings.site)])
    started = time.perf_counter()
    async with engine.begin() as conn:
        await conn.run_sync(definition.metadata.create_all)
        await store.reset(conn, definition.name)
    bus = _bus(definition, engine, settings.site)
    for stream in report.streams:
        await _replay(js, stream, bus, report)
    report.seconds = time.perf_counter() - started
    return report


async def _replay(js: JetStreamContext, stream: str, bus: MessageBus, report: RebuildReport) -> None:
    config = ConsumerConfig(
        ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=60.0,
        filter_subjects=[f"tl.*.{t}" for t in bus.event_types],
    )
    psub = await js.pull_subscribe("", stream=stream, config=config)
    try:
        while True:
            try:
                msgs = await psub.fetch(BATCH, timeout=FETCH_TIMEOUT)
            except TimeoutError:
                return  # nothing (left) to replay
            batch: list[Event] = []
            for msg in msgs:
                try:
                    batch.append(decode(msg.subject, msg.data))
                except InvalidEvent as exc:  # already dead-lettered by the live consumer
                    report.invalid[exc.reason] += 1
            report.read += len(msgs)
            report.applied += len(await bus.process(batch)) if batch else 0
            if msgs[-1].metadata.num_pending == 0:
                return
    finally:
        await psub.unsubscribe()
