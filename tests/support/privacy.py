"""Privacy test support: the privacy service in-process (with a FakeClock), a whole node with it,
and the raw-bytes search that proves a string is gone from every file of a data dir."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import select

from maillage.node import connect, ensure_topology
from services.privacy import app, jobs, tables
from services.privacy.settings import PrivacySettings
from shared.contract import directory as dr
from shared.contract.envelope import Event
from shared.service import RunningService
from shared.topology import origin_stream_name
from tests.support.booking import FakeClock
from tests.support.bus import eventually


def register_privacy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nodes built from ``maillage.registry`` can run the privacy service (whether or not it is listed)."""
    from maillage import registry

    monkeypatch.setitem(registry.SERVICES, app.NAME, (PrivacySettings, app.definition))


def privacy_settings(nats_url: str, database_url: str, **overrides: Any) -> PrivacySettings:
    values: dict[str, Any] = {"nats_url": nats_url, "database_url": database_url, "metrics_port": 0,
                              "privacy_jobs": False}
    values.update(overrides)
    return PrivacySettings(**values)


@dataclass
class PrivacyHarness:
    nc: NATS
    js: JetStreamContext
    settings: PrivacySettings
    service: RunningService
    clock: FakeClock

    async def publish(self, *events: Event) -> None:
        for event in events:
            event = event.model_copy(update={"origin": event.origin or self.settings.site})
            await self.js.publish(event.subject(), event.model_dump_json().encode(),
                                  headers={"Nats-Msg-Id": event.event_id}, timeout=5.0)
        await self.settle()

    async def settle(self, consumer: str = app.NAME) -> None:
        stream = origin_stream_name(self.settings.site)

        async def probe() -> tuple[int, int]:
            info = await self.js.consumer_info(stream, consumer)
            return info.num_pending or 0, info.num_ack_pending or 0

        await eventually(probe, lambda p: p == (0, 0), 30, f"the {consumer} consumer to catch up")

    async def scrub(self) -> int:
        return await jobs.scrub_pending(self.service)

    async def retain(self) -> list[str]:
        return await jobs.retain(self.service, self.settings)

    async def rows(self, table: Any, *where: Any) -> list[Any]:
        async with self.service.engine.connect() as conn:
            return list((await conn.execute(select(table).where(*where))).all())

    async def erased(self) -> set[str]:
        return {r.citizen_id for r in await self.rows(tables.erasures)}


@asynccontextmanager
async def privacy_service(
    nats_url: str, database_url: str, clock: FakeClock | None = None, **overrides: Any
) -> AsyncIterator[PrivacyHarness]:
    settings = privacy_settings(nats_url, database_url, **overrides)
    clock = clock or FakeClock()
    nc, js = await connect(nats_url, "test-privacy")
    definition = app.definition(settings)
    await ensure_topology(js, settings, [definition])
    service = RunningService(definition, settings, nc, js, now=clock)
    await service.start()
    try:
        yield PrivacyHarness(nc, js, settings, service, clock)
    finally:
        await service.stop()
        await nc.close()


def card(citizen_id: str, name: str | None = None, phone: str | None = None, site: str = "hub",
         consents: tuple[str, ...] = ("sms",), **extra: Any) -> dr.ContactRegistered:
    return dr.ContactRegistered(citizen_id=citizen_id, site=site, display_name=name, phone=phone,
                                consents=list(consents), **extra)


def files_containing(roots: list[Path], *needles: str) -> list[str]:
    """Every file under ``roots`` whose raw bytes contain one of ``needles`` (databases, their -wal
    and -shm, JetStream block and index files, server logs…), as 'path: needle'."""
    found = []
    wanted = [n.encode() for n in needles]
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            found += [f"{path}: {n.decode()}" for n in wanted if n in data]
    return found
