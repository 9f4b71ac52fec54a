"""An in-process booking service on a real nats-server and a real database, for integration tests."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from maillage.node import connect, ensure_topology
from services.booking import app as booking_app
from shared.contract import booking as bk
from shared.contract.envelope import Request
from shared.requests import publish_request
from shared.service import RunningService
from shared.settings import BookingSettings
from shared.topology import origin_stream_name
from tests.support.bus import eventually, of_type, stream_events


class FakeClock:
    """An injectable 'now' that tests move by hand (never sleep to let time pass)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta


@dataclass
class BookingHarness:
    nc: NATS
    js: JetStreamContext
    settings: BookingSettings
    service: RunningService
    clock: FakeClock

    @property
    def stream(self) -> str:
        return origin_stream_name(self.settings.site)

    async def send(self, request: Request) -> None:
        if not request.origin:
            request = request.model_copy(update={"origin": self.settings.site})
        await publish_request(self.js, request)

    async def events(self, *types: str) -> list[dict[str, Any]]:
        return of_type(await stream_events(self.js, self.stream), *types)

    async def wait_for(
        self, *types: str, count: int, timeout: float = 30.0, where: Callable[[dict[str, Any]], bool] = lambda e: True
    ) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]]:
            return [e for e in await self.events(*types) if where(e)]

        return await eventually(probe, lambda evs: len(evs) >= count, timeout, f"{count} × {types}")

    def workshop(self, workshop_id: str, capacity: int = 12, starts_in: timedelta = timedelta(days=2),
                 **extra: Any) -> bk.WorkshopScheduleRequested:
        starts = self.clock() + starts_in
        return bk.WorkshopScheduleRequested(
            workshop_id=workshop_id, site=self.settings.site, room="Salle 1", title="Premiers pas sur Internet",
            themes=["navigation_sur_internet"], starts_at=starts, ends_at=starts + timedelta(hours=2),
            capacity=capacity, **extra,
        )


def citizen(n: int, **extra: Any) -> dict[str, Any]:
    return {"citizen_id": f"cit-{n:06d}", "age_bracket": "soixante_dix_plus", "commune_insee": "11069", **extra}


def booking_settings(nats_url: str, database_url: str, **overrides: Any) -> BookingSettings:
    values: dict[str, Any] = {"nats_url": nats_url, "database_url": database_url, "metrics_port": 0}
    values.update(overrides)
    return BookingSettings(**values)


@asynccontextmanager
async def booking_service(
    nats_url: str, database_url: str, clock: FakeClock | None = None, **overrides: Any
) -> AsyncIterator[BookingHarness]:
    settings = booking_settings(nats_url, database_url, **overrides)
    clock = clock or FakeClock()
    nc, js = await connect(nats_url, "test-booking")
    definition = booking_app.definition(settings)
    await ensure_topology(js, settings, [definition])
    service = RunningService(definition, settings, nc, js, now=clock)
    await service.start()
    try:
        yield BookingHarness(nc, js, settings, service, clock)
    finally:
        await service.stop()
        await nc.close()
