"""Runs services: their outbox relays and periodic jobs, and the durable consumers that feed them.

A service folder provides a ``ServiceDefinition`` (its handlers, tables and unit of work); this
module is the only place that turns one into running tasks, so every service behaves the same
under crashes, restarts and shutdown. The services of one process form a ``ServiceGroup``, fed by
one durable consumer per stream (shared/topology.py ``Delivery``); a service run alone is fed by its
own.
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

from shared import network
from shared.bus import Handler, MessageBus
from shared.consumer import BatchConsumer, Subscriber
from shared.contract.envelope import Event, Request
from shared.db import make_engine
from shared.hlc import HybridClock
from shared.logs import bind
from shared.messaging import MessagingTables, UnitOfWork
from shared.relay import OutboxRelay
from shared.settings import NodeSettings
from shared.topology import ConsumerSpec, deliveries, origin_stream_name

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
    foreign_facts: frozenset[type[Event]] = frozenset()  # facts read only from other nodes
    warm_up: Job | None = None  # run once before the first message is taken (e.g. filling a cache)


def consumer_spec(
    definition: ServiceDefinition, site: str, stream: str | None = None, request_origin: str = "*",
    foreign_origins: tuple[str, ...] = (),
) -> ConsumerSpec:
    return ConsumerSpec(
        service=definition.name,
        stream=stream or origin_stream_name(site),
        event_types=tuple(cls.TYPE for cls in definition.handlers),
        request_types=tuple(cls.TYPE for cls in definition.handlers if issubclass(cls, Request)),
        request_origin=request_origin,
        foreign_types=tuple(cls.TYPE for cls in definition.foreign_facts),
        foreign_origins=foreign_origins,
    )


def service_inputs(definition: ServiceDefinition, settings: NodeSettings) -> list[ConsumerSpec]:
    """Where a service reads from on this node (DESIGN §3, shared/network.py).

    - a lone hub: its own stream, requests from anywhere;
    - a hub with sites: TL_NETWORK (everything), deciding only requests made at the hub;
    - a site: its own stream (its requests) and its copy of the hub's (requests routed to it).
    """
    site = settings.site
    if settings.role == "site":
        return [
            consumer_spec(definition, site, request_origin=site),
            consumer_spec(definition, site, stream=network.hub_copy_stream_name(site), request_origin=network.HUB,
                          foreign_origins=(network.HUB,)),
        ]
    if settings.sites:
        return [consumer_spec(definition, site, stream=network.NETWORK_STREAM, request_origin=network.HUB,
                              foreign_origins=tuple(sorted(settings.sites)))]
    return [consumer_spec(definition, site)]


class RunningService:
    def __init__(
        self,
        definition: ServiceDefinition,
        settings: NodeSettings,
        nc: NATS,
        js: JetStreamContext,
        now: Clock = utc_now,
        engine: AsyncEngine | None = None,
        inputs: list[ConsumerSpec] | None = None,
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.now = now
        self.nc = nc
        self.js = js
        self.engine = engine or make_engine(settings.database_url_for(definition.name))
        self.clock = HybridClock()
        self.relay = OutboxRelay(self.engine, definition.tables, js, definition.name, settings.site)
        self.bus = MessageBus(definition.name, self.unit_of_work, definition.handlers, on_commit=self.relay.wake)
        self.inputs = service_inputs(definition, settings) if inputs is None else inputs
        self.consumers: list[BatchConsumer] = []  # its own, when it runs alone (``start``)
        self._relay_task: asyncio.Task | None = None
        self._consumer_tasks: list[asyncio.Task] = []
        self._job_tasks: list[asyncio.Task] = []

    def unit_of_work(self) -> UnitOfWork:
        uow = self.definition.uow_class(
            self.engine, self.definition.tables, self.settings.site, self.clock, self.now
        )
        self.definition.configure_uow(uow)
        uow.relay = self.relay
        return uow

    async def create_schema(self) -> None:
        """Apply the service's schema migrations (versioned, idempotent; see shared.migrations)."""
        from shared.migrations import ensure_schema

        await ensure_schema(self.engine, self.definition.name, self.definition.metadata)

    def subscriber(self, spec: ConsumerSpec) -> Subscriber:
        return Subscriber(self.definition.name, spec.filter_subjects(), self.bus.process, self.settings.max_attempts)

    @property
    def ready(self) -> bool:
        return bool(self.consumers) and all(c.ready.is_set() for c in self.consumers)

    async def open(self) -> None:
        """Schema, warm-up, relay and jobs: everything but taking messages."""
        await self.create_schema()
        if self.definition.warm_up is not None:
            try:
                await self.definition.warm_up(self)
            except Exception:  # only ever an optimisation: the service works without it
                log.exception("%s: warm-up failed", self.definition.name)
        name = self.definition.name
        # Tasks copy the logging context: every line they log names its service and site.
        with bind(service=name, site=self.settings.site):
            self._relay_task = asyncio.create_task(self.relay.run(), name=f"{name}-relay")
            self._job_tasks = [asyncio.create_task(self._every(period, job)) for period, job in self.definition.jobs]

    async def start(self) -> None:
        """Run alone: opened, then fed by a durable consumer of its own per input."""
        await self.open()
        self.consumers = feed(self.nc, self.js, self.settings, [self])
        self._consumer_tasks = await start_consumers(self.consumers, self.definition.name, self.settings.site)
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
        await stop_consumers(self.consumers, self._consumer_tasks)
        for job_task in self._job_tasks:
            job_task.cancel()
        if self._relay_task is not None:
            await self.relay.stop()
            await asyncio.wait([self._relay_task], timeout=15)
            self._relay_task.cancel()
        await self.engine.dispose()
        log.info("%s: stopped", self.definition.name)

    async def run_job_once(self, job: Job) -> None:
        await job(self)


def feed(nc: NATS, js: JetStreamContext, settings: NodeSettings, services: list[RunningService]) -> list[BatchConsumer]:
    """The durable consumers that feed ``services``: one per stream they read, shared by all of them."""
    readers = {id(spec): service for service in services for spec in service.inputs}
    return [
        BatchConsumer(nc, js, delivery, settings.site,
                      [readers[id(spec)].subscriber(spec) for spec in delivery.members],
                      batch=settings.consumer_batch)
        for delivery in deliveries([spec for service in services for spec in service.inputs])
    ]


async def start_consumers(consumers: list[BatchConsumer], name: str, site: str) -> list[asyncio.Task]:
    with bind(service=name, site=site):
        tasks = [asyncio.create_task(c.run(), name=f"{c.durable}-consumer") for c in consumers]
    for consumer in consumers:
        await consumer.ready.wait()
    return tasks


async def stop_consumers(consumers: list[BatchConsumer], tasks: list[asyncio.Task]) -> None:
    for consumer in consumers:
        await consumer.stop()
    if tasks:
        await asyncio.wait(tasks, timeout=30)


class ServiceGroup:
    """The services of one process, each opened, then all fed by shared durable consumers."""

    def __init__(self, services: list[RunningService], settings: NodeSettings) -> None:
        self.services = services
        self.settings = settings
        self.consumers: list[BatchConsumer] = []
        self._tasks: list[asyncio.Task] = []

    @property
    def ready(self) -> bool:
        return bool(self.consumers) and all(c.ready.is_set() for c in self.consumers)

    async def start(self) -> None:
        for service in self.services:
            await service.open()
        if not self.services:
            return
        first = self.services[0]
        self.consumers = feed(first.nc, first.js, self.settings, self.services)
        names = "-".join(sorted(s.definition.name for s in self.services))
        self._tasks = await start_consumers(self.consumers, names, self.settings.site)
        log.info("%s: started", names)

    async def stop(self) -> None:
        """Drain the consumers first, then each service (its relay publishes what was committed)."""
        await stop_consumers(self.consumers, self._tasks)
        for service in reversed(self.services):
            await service.stop()
