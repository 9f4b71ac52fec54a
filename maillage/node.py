"""A node: one nats-server (embedded unless configured), the services, the ops endpoints.

``maillage up`` runs a whole node in one process; ``maillage service <name>`` runs one service
alone (containers). Both go through ``Node``, so shutdown and drain behave the same.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

import nats
from faststream.nats import NatsBroker
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from services.booking import app as booking_app
from services.reporting import app as reporting_app
from services.reporting.dashboard import DashboardServer
from shared import topology
from shared.httpserver import OpsServer
from shared.natsserver import EmbeddedNatsServer, NatsServerConfig
from shared.requests import OutcomeWaiter
from shared.service import RunningService, ServiceDefinition, consumer_spec
from shared.settings import NodeSettings

log = logging.getLogger(__name__)


def node_streams(settings: NodeSettings) -> list[topology.StreamConfig]:
    return [
        topology.origin_stream(settings.site, settings.stream_max_age_days, settings.stream_max_bytes),
        topology.dead_letter_stream(),
    ]


async def ensure_topology(
    js: JetStreamContext, settings: NodeSettings, definitions: list[ServiceDefinition]
) -> list[str]:
    consumers = [consumer_spec(d, settings.site) for d in definitions]
    return await topology.ensure(js, node_streams(settings), consumers)


async def connect(url: str, name: str) -> tuple[NATS, JetStreamContext]:
    # Reconnect forever: a node outlives NATS restarts; the outbox keeps what could not be sent.
    nc = await nats.connect(url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=1, ping_interval=10)
    return nc, nc.jetstream(timeout=10.0)


@dataclass
class Node:
    settings: NodeSettings
    services: list[tuple[NodeSettings, ServiceDefinition]]
    embedded: EmbeddedNatsServer | None = None
    nc: NATS | None = None
    js: JetStreamContext | None = None
    running: list[RunningService] = field(default_factory=list)
    ops: OpsServer | None = None
    broker: NatsBroker | None = None
    waiter: OutcomeWaiter | None = None
    topology_report: list[str] = field(default_factory=list)
    dashboard: DashboardServer | None = None

    @property
    def nats_url(self) -> str:
        if self.settings.nats_url:
            return self.settings.nats_url
        assert self.embedded is not None
        return self.embedded.url

    async def start(self) -> None:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        if not self.settings.nats_url:
            self.embedded = EmbeddedNatsServer(embedded_config(self.settings))
            await self.embedded.start()
            (self.settings.data_dir / "nats.url").write_text(self.embedded.url + "\n")
        self.nc, self.js = await connect(self.nats_url, f"maillage-{self.settings.site}")
        self.topology_report = await ensure_topology(self.js, self.settings, [d for _, d in self.services])
        for service_settings, definition in self.services:
            service = RunningService(definition, service_settings, self.nc, self.js)
            await service.start()
            self.running.append(service)
        await self._start_gateway()
        reporting = next((s for s in self.running if s.definition.name == reporting_app.NAME), None)
        if reporting is not None:
            self.dashboard = reporting_app.dashboard(reporting)
            await self.dashboard.start()
        self.ops = OpsServer(self.settings.metrics_host, self.settings.metrics_port, readiness=self._readiness)
        await self.ops.start()

    async def _start_gateway(self) -> None:
        if not any(d.name == booking_app.NAME for _, d in self.services):
            return
        assert self.nc is not None and self.js is not None
        self.waiter = OutcomeWaiter(self.nc)
        await self.waiter.start()
        self.broker = NatsBroker(self.nats_url, logger=None, max_reconnect_attempts=-1)
        self.broker.include_router(booking_app.gateway(self.settings.site, self.js, self.waiter))
        await self.broker.start()

    async def _readiness(self) -> tuple[bool, str]:
        if self.nc is None or not self.nc.is_connected:
            return False, "NATS non connecté"
        idle = [s.definition.name for s in self.running if not s.consumer.ready.is_set()]
        if idle:
            return False, f"services non prêts : {', '.join(idle)}"
        return True, "prêt"

    async def stop(self) -> None:
        if self.ops is not None:
            await self.ops.stop()
        if self.dashboard is not None:
            await self.dashboard.stop()
        if self.broker is not None:
            await self.broker.stop()
        if self.waiter is not None:
            await self.waiter.stop()
        for service in reversed(self.running):
            await service.stop()
        if self.nc is not None:
            await self.nc.drain()
        if self.embedded is not None:
            await self.embedded.stop()

    def describe(self) -> list[str]:
        s = self.settings
        lines = [
            f"Maillage — nœud « {s.site} » ({'pôle numérique' if s.role == 'hub' else 'tiers-lieu'})",
            f"  NATS       : {self.nats_url}{' (serveur embarqué)' if self.embedded else ''}",
            f"  Métriques  : {self.ops.url if self.ops else '-'}/metrics   (santé : /healthz, /readyz)",
            f"  Données    : {Path(s.data_dir).resolve()}",
            f"  Services   : {', '.join(d.name for _, d in self.services)}",
        ]
        if self.dashboard is not None:
            lines.append(f"  Tableau de bord : {self.dashboard.url}/")
        if self.broker is not None:
            lines.append(f"  Requêtes   : rpc.{s.site}.<type> (requête-réponse), tl.{s.site}.<type> (événements)")
        return lines


def embedded_config(settings: NodeSettings) -> NatsServerConfig:
    return NatsServerConfig(
        store_dir=settings.data_dir / "nats" / "jetstream",
        server_name=f"maillage-{settings.site}",
        port=settings.nats_port,
        prefer_default=settings.nats_port == 0,
        # A site box is a single server on a small PC: fsync every write or a power cut can lose
        # events JetStream already acknowledged (PLATFORM-NOTES, Jepsen on 2.12).
        sync_always=settings.role == "site",
    )


async def run_until_stopped(node: Node, stop: asyncio.Event) -> None:
    await node.start()
    try:
        await stop.wait()
    finally:
        await node.stop()
