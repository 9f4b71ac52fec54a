"""Runs one service: its durable consumer, its outbox relay and its periodic jobs, until stopped.

A service folder provides a ``ServiceDefinition`` (its handlers, tables and unit of work); this
module is the only place that turns one into running tasks, so every service behaves the same
under crashes, restarts and shutdown.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.bus import Handler, MessageBus
from shared.consumer import BatchConsumer
from shared.contract.envelope import Event
from shared.db import make_engine
from shared.hlc import HybridClock
from shared.messaging import MessagingTables, UnitOfWork
from shared.relay import OutboxRelay
from shared.settings import NodeSettings
from shared.topology import ConsumerSpec, origin_stream_name

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Job = Callable[["RunningService"], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ServiceDefinition:
    name: str
    metadata: MetaData
    tables: MessagingTables
    uow_class: type[UnitOfWork]
    handlers: Mapping[type[Event], Handler]
    configure_uow: Callable[[Any], None] = lambda uow: None
    jobs: list[tuple[float, Job]] = field(default_factory=list)  # (period in seconds, job)


def consumer_spec(definition: ServiceDefinition, site: str) -> ConsumerSpec:
    return ConsumerSpec(
        service=definition.name,
        stream=origin_stream_name(site),
        event_types=tuple(cls.TYPE for cls in definition.handlers),
    )


class RunningService:
    def __init__(
        self,
        definition: ServiceDefinition,
        settings: NodeSettings,
        nc: NATS,
        js: JetStreamContext,
        now: Clock = utc_now,
        engine: AsyncEngine | None = None,
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.now = now
        self.engine = engine or make_engine(settings.database_url_for(definition.name))
        self.clock = HybridClock()
        self.relay = OutboxRelay(self.engine, definition.tables, js, definition.name, settings.site)
        self.bus = MessageBus(definition.name, self.unit_of_work, definition.handlers, on_commit=self.relay.wake)
        self.consumer = BatchConsumer(
            nc, js, consumer_spec(definition, settings.site), settings.site, self.bus.process,
            batch=settings.consumer_batch, max_attempts=settings.max_attempts,
        )
        self._tasks: list[asyncio.Task] = []

    def unit_of_work(self) -> UnitOfWork:
        uow = self.definition.uow_class(
            self.engine, self.definition.tables, self.settings.site, self.clock, self.now
        )
        self.definition.configure_uow(uow)
        return uow

    async def create_schema(self) -> None:
        async with self.engine.begin() as conn:
            await conn.run_sync(self.definition.metadata.create_all)

    async def start(self) -> None:
        await self.create_schema()
        self._tasks = [
            asyncio.create_task(self.relay.run(), name=f"{self.definition.name}-relay"),
            asyncio.create_task(self.consumer.run(), name=f"{self.definition.name}-consumer"),
        ]
        for period, job in self.definition.jobs:
            self._tasks.append(asyncio.create_task(self._every(period, job)))
        await self.consumer.ready.wait()
        log.info("%s: started", self.definition.name)

    async def _every(self, period: float, job: Job) -> None:
        while True:
            try:
                await job(self)
            except Exception:
                log.exception("%s: periodic job failed", self.definition.name)
            await asyncio.sleep(period)

    async def stop(self) -> None:
        """Drain: finish the batch in hand, publish what was committed, then close."""
        await self.consumer.stop()
        if self._tasks:
            relay_task, consumer_task, *jobs = self._tasks
            for job_task in jobs:
                job_task.cancel()
            await asyncio.wait([consumer_task], timeout=30)
            await self.relay.stop()
            await asyncio.wait([relay_task], timeout=15)
            relay_task.cancel()
        await self.engine.dispose()
        log.info("%s: stopped", self.definition.name)

    async def run_job_once(self, job: Job) -> None:
        await job(self)
