"""Inventory test harnesses: the service in-process on a real nats-server, or its bus alone on a real
database (fast handler tests, no network). Both use an injectable clock: tests move time by hand."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from prometheus_client import REGISTRY as REGISTRY_METRICS
from sqlalchemy import func, select

from maillage.node import connect, ensure_topology
from services.inventory import app as inventory_app
from services.inventory import store
from services.inventory.settings import InventorySettings
from shared.bus import MessageBus
from shared.contract import inventory as inv
from shared.contract.codec import decode
from shared.contract.envelope import REGISTRY, Event, Request
from shared.db import make_engine
from shared.hlc import HybridClock
from shared.migrations import ensure_schema
from shared.requests import publish_request
from shared.service import RunningService
from shared.topology import origin_stream_name
from tests.support.booking import FakeClock
from tests.support.bus import eventually, of_type, stream_events

GRANT = "fabriques-de-territoires"


def register(tag: str, kind: str = "tablet", site: str = "hub", price: str = "299.00", funding: str = GRANT,
             **extra: Any) -> inv.AssetRegisterRequested:
    return inv.AssetRegisterRequested(
        asset_tag=tag, kind=kind, model=f"Modèle {kind}", serial=f"SN-{tag}", purchase_date=date(2026, 3, 2),
        purchase_price=Decimal(price), funding_source=funding, site=site, **extra,
    )


def citizen(n: int) -> dict[str, Any]:
    return {"citizen_id": f"cit-{n:06d}", "age_bracket": "soixante_dix_plus", "commune_insee": "11069"}


def lend(tag: str, n: int = 1, **extra: Any) -> inv.LoanCheckoutRequested:
    return inv.LoanCheckoutRequested(asset_tag=tag, citizen=citizen(n), agreement_signed=True, **extra)


def inventory_settings(nats_url: str, database_url: str, **overrides: Any) -> InventorySettings:
    values: dict[str, Any] = {"nats_url": nats_url, "database_url": database_url, "metrics_port": 0}
    values.update(overrides)
    return InventorySettings(**values)


@dataclass
class InventoryHarness:
    nc: NATS
    js: JetStreamContext
    settings: InventorySettings
    service: RunningService
    clock: FakeClock

    @property
    def stream(self) -> str:
        return origin_stream_name(self.settings.site)

    async def send(self, request: Request) -> None:
        if not request.origin:
            request = request.model_copy(update={"origin": self.settings.site})
        await publish_request(self.js, request)

    async def redeliver(self, request: Request, copy: int = 1) -> None:
        """The same message again, as JetStream would redeliver it (same event id, past the dedupe window)."""
        request = request.model_copy(update={"origin": request.origin or self.settings.site})
        await self.js.publish(
            request.subject(), request.model_dump_json().encode(),
            headers={"Nats-Msg-Id": f"again-{copy}-{request.event_id}"},
        )

    def consumed(self, event_type: str, outcome: str) -> float:
        """How many messages of this type the consumer counted with this outcome (processed, duplicate…)."""
        labels = {"service": inventory_app.NAME, "site": self.settings.site, "type": event_type, "outcome": outcome}
        return REGISTRY_METRICS.get_sample_value("maillage_events_consumed_total", labels) or 0.0

    async def retry_late(self, request: Request) -> None:
        """A front-end retrying after JetStream's de-duplication window: same request_id, new message."""
        retry = request.model_copy(update={"event_id": f"retry-{request.event_id}"})
        await self.redeliver(retry, copy=99)

    async def events(self, *types: str) -> list[dict[str, Any]]:
        """The node's events of these types (all of them if none given), in stream order."""
        events = await stream_events(self.js, self.stream)
        return of_type(events, *types) if types else events

    async def wait_for(
        self, *types: str, count: int, timeout: float = 30.0, where: Callable[[dict[str, Any]], bool] = lambda e: True
    ) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]]:
            return [e for e in await self.events(*types) if where(e)]

        return await eventually(probe, lambda evs: len(evs) >= count, timeout, f"{count} × {types}")

    async def answer(self, request: Request, timeout: float = 30.0) -> dict[str, Any]:
        """Send ``request`` and return the first event answering it (same request_id, not the request)."""
        await self.send(request)
        answers = await self.wait_for(
            *outcome_types(), count=1, timeout=timeout, where=lambda e: e.get("request_id") == request.request_id
        )
        return answers[0]

    async def settled(self, timeout: float = 30.0) -> None:
        """Wait until every request is handled (nothing pending or unacked) and every outcome published."""
        outbox = store.messaging.outbox

        async def probe() -> tuple[int, int, int]:
            info = await self.js.consumer_info(self.stream, inventory_app.NAME)
            async with self.service.engine.connect() as conn:
                unsent = await conn.scalar(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None)))
            return info.num_pending or 0, info.num_ack_pending or 0, unsent or 0

        await eventually(probe, lambda v: v == (0, 0, 0), timeout, "inventory settled")

    async def restart(self) -> None:
        """Stop the service (drain) and start a fresh one on the same database, clock and consumer."""
        await self.service.stop()
        self.service = RunningService(inventory_app.definition(self.settings), self.settings, self.nc, self.js,
                                      now=self.clock)
        await self.service.start()


def outcome_types() -> list[str]:
    return [t for t, cls in REGISTRY.items() if t.startswith("inventory.") and not issubclass(cls, Request)]


@asynccontextmanager
async def inventory_service(
    nats_url: str, database_url: str, clock: FakeClock | None = None, **overrides: Any
) -> AsyncIterator[InventoryHarness]:
    settings = inventory_settings(nats_url, database_url, **overrides)
    clock = clock or FakeClock()
    nc, js = await connect(nats_url, "test-inventory")
    definition = inventory_app.definition(settings)
    await ensure_topology(js, settings, [definition])
    harness = InventoryHarness(nc, js, settings, RunningService(definition, settings, nc, js, now=clock), clock)
    await harness.service.start()
    try:
        yield harness
    finally:
        await harness.service.stop()
        await nc.close()


@dataclass
class InventoryBench:
    """The service's bus on a real database, without NATS: ``handle`` returns what was emitted."""

    bus: MessageBus
    service: Any
    clock: FakeClock
    site: str = "hub"
    seen: int = field(default=0)

    async def handle(self, *events: Event) -> list[Event]:
        stamped = [e if e.origin else e.model_copy(update={"origin": self.site}) for e in events]
        await self.bus.process(stamped)
        return await self.emitted()

    async def emitted(self) -> list[Event]:
        outbox = store.messaging.outbox
        async with self.service.engine.connect() as conn:
            rows = (await conn.execute(select(outbox).where(outbox.c.id > self.seen).order_by(outbox.c.id))).all()
        if rows:
            self.seen = rows[-1].id
        return [decode(r.subject, b'{"origin_seq":%d,%s' % (r.id, r.body[1:])) for r in rows]

    async def one(self, event: Event) -> Event:
        out = await self.handle(event)
        assert len(out) == 1, [e.TYPE for e in out]
        return out[0]

    async def run_deadlines(self) -> list[Event]:
        """The schedule's job, then the check it asked for: returns the facts it produced."""
        await inventory_app.check_deadlines(self.service)
        asked = await self.emitted()
        return await self.handle(*asked) if asked else []


@asynccontextmanager
async def inventory_bench(database_url: str, clock: FakeClock | None = None, **overrides: Any
                          ) -> AsyncIterator[InventoryBench]:
    settings = inventory_settings("nats://127.0.0.1:1", database_url, **overrides)
    clock = clock or FakeClock()
    definition = inventory_app.definition(settings)
    engine = make_engine(database_url)
    await ensure_schema(engine, definition.name, definition.metadata)  # the versioned migrations, as at start

    class _Service:  # what the schedule's jobs need from a RunningService, minus NATS
        def __init__(self) -> None:
            self.engine, self.settings, self.now, self.definition = engine, settings, clock, definition
            self.relay = type("Relay", (), {"wake": lambda self: None})()

        def unit_of_work(self) -> Any:
            uow = definition.uow_class(engine, definition.tables, settings.site, HybridClock(), clock)
            definition.configure_uow(uow)
            return uow

    service = _Service()
    bench = InventoryBench(
        MessageBus("inventory", service.unit_of_work, definition.handlers), service, clock, site=settings.site
    )
    try:
        yield bench
    finally:
        await engine.dispose()


__all__ = ["GRANT", "FakeClock", "InventoryBench", "InventoryHarness", "inventory_bench", "inventory_service"]
