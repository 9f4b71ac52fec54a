"""A node: one nats-server (embedded unless configured), the services, the ops endpoints.

``maillage up`` runs a whole node in one process; ``maillage service <name>`` runs one service
alone (containers). Both go through ``Node``, so shutdown and drain behave the same.
"""

import asyncio
import logging
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nats
from faststream.nats import NatsBroker
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig

from maillage.registry import SERVICES
from maillage.status import LinkStatus, hub_status, publish_metrics, site_status
from services.booking import app as booking_app
from services.public.frontends import FrontEnd, start_front_ends, stop_front_ends
from services.public.frontends import describe as describe_front_ends
from services.reporting import app as reporting_app
from services.reporting.dashboard import DashboardServer
from shared import metrics, network, topology
from shared.httpserver import OpsServer
from shared.natsserver import EmbeddedNatsServer, LeafRemote, NatsServerConfig
from shared.requests import OutcomeWaiter
from shared.service import RunningService, ServiceDefinition, ServiceGroup, service_inputs
from shared.settings import NodeSettings
from shared.topology import origin_stream_name

log = logging.getLogger(__name__)


def node_streams(settings: NodeSettings) -> list[topology.StreamConfig]:
    age, size = settings.stream_max_age_days, settings.stream_bytes
    streams = [topology.origin_stream(settings.site, age, size), topology.dead_letter_stream()]
    if settings.role == "site":
        streams.append(network.hub_copy_stream(settings.site, age, size))
    elif settings.sites:
        streams.append(network.network_stream(sorted(settings.sites), age, size))
    return streams


def sync_consumers(settings: NodeSettings) -> list[tuple[str, ConsumerConfig]]:
    """The durable consumers other nodes source from this one."""
    if settings.role == "site":
        return [(origin_stream_name(settings.site), network.sourcing_consumer(network.TO_HUB, settings.site))]
    return [
        (origin_stream_name(network.HUB),
         network.sourcing_consumer(network.to_site(site), network.HUB, network.HUB_TO_SITE_SUBJECTS))
        for site in sorted(settings.sites)
    ]


async def ensure_topology(
    js: JetStreamContext, settings: NodeSettings, definitions: list[ServiceDefinition], *, starting: bool = False
) -> list[str]:
    """Streams, the sync consumers, and the durables of one process running ``definitions``; a process
    ``starting`` also removes the durables its own now replace (``topology.ensure``)."""
    consumers = topology.deliveries([spec for d in definitions for spec in service_inputs(d, settings)])
    superseded = frozenset(SERVICES) if starting else frozenset()
    report = await topology.ensure(js, node_streams(settings), consumers, superseded)
    for stream, config in sync_consumers(settings):
        report.append(await topology.ensure_sync_consumer(js, stream, config))
    return report


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
    group: ServiceGroup | None = None
    ops: OpsServer | None = None
    broker: NatsBroker | None = None
    waiter: OutcomeWaiter | None = None
    topology_report: list[str] = field(default_factory=list)
    dashboard: DashboardServer | None = None
    front_ends: dict[str, FrontEnd] = field(default_factory=dict)
    _watch: asyncio.Task | None = None

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
            url_file = self.settings.data_dir / "nats.url"
            url_file.write_text(self.embedded.url + "\n")
            url_file.chmod(0o600)  # may carry the services' password
        self.nc, self.js = await connect(self.nats_url, f"maillage-{self.settings.site}")
        self.topology_report = await ensure_topology(self.js, self.settings, [d for _, d in self.services],
                                                     starting=True)
        self.running = [RunningService(d, service_settings, self.nc, self.js) for service_settings, d in self.services]
        self.group = ServiceGroup(self.running, self.settings)
        await self.group.start()
        await self._start_gateway()
        self.front_ends = await start_front_ends(self.running, self.nc, self.js)
        reporting = next((s for s in self.running if s.definition.name == reporting_app.NAME), None)
        if reporting is not None:
            self.dashboard = reporting_app.dashboard(reporting)
            await self.dashboard.start()
        self.ops = OpsServer(self.settings.metrics_host, self.settings.metrics_port, readiness=self._readiness)
        await self.ops.start()
        self._watch = asyncio.create_task(self._watch_node())

    async def links(self) -> list[LinkStatus]:
        assert self.nc is not None and self.js is not None
        if self.settings.role == "site":
            return [await site_status(self.nc, self.js, self.settings)]
        return await hub_status(self.nc, self.js, self.settings)

    async def _watch_node(self) -> None:
        """Link and store figures for Prometheus, every 5 s."""
        assert self.js is not None
        linked = self.settings.role == "site" or bool(self.settings.sites)
        while True:
            try:
                if linked:
                    publish_metrics(await self.links())
                info = await self.js.account_info()
                metrics.JETSTREAM_STORE_BYTES.labels(site=self.settings.site).set(info.storage)
                limit = info.limits.max_storage if info.limits and info.limits.max_storage > 0 else 0
                metrics.JETSTREAM_STORE_LIMIT_BYTES.labels(site=self.settings.site).set(
                    limit or shutil.disk_usage(self.settings.data_dir).total
                )
            except Exception:
                log.debug("node figures failed", exc_info=True)
            await asyncio.sleep(5.0)

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
        if self.group is None or not self.group.ready:
            return False, f"services non prêts : {', '.join(s.definition.name for s in self.running)}"
        return True, "prêt"

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        if self.ops is not None:
            await self.ops.stop()
        if self.dashboard is not None:
            await self.dashboard.stop()
        if self.broker is not None:
            await self.broker.stop()
        if self.waiter is not None:
            await self.waiter.stop()
        await stop_front_ends(self.front_ends)
        if self.group is not None:
            await self.group.stop()
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
        if s.role == "hub" and s.sites and self.embedded is not None:
            port = self.embedded.config.leafnode_listen_port
            lines.append(f"  Sites      : {', '.join(sorted(s.sites))} (liens feuille sur le port {port})")
        if s.role == "site":
            lines.append(f"  Pôle       : {s.hub_url or 'aucun (site autonome)'}")
        if self.dashboard is not None:
            lines.append(f"  Tableau de bord : {self.dashboard.url}/")
        lines += describe_front_ends(self.front_ends)
        if self.broker is not None:
            lines.append(f"  Requêtes   : rpc.{s.site}.<type> (requête-réponse), tl.{s.site}.<type> (événements)")
        return lines


def embedded_config(settings: NodeSettings) -> NatsServerConfig:
    config = NatsServerConfig(
        store_dir=settings.data_dir / "nats" / "jetstream",
        server_name=f"maillage-{settings.site}",
        host=settings.nats_listen_host,
        port=settings.nats_port,
        http_monitor_port=settings.nats_monitor_port,
        prefer_default=settings.nats_port == 0,
        jetstream_domain=settings.site,
        # A site box is a single server on a small PC: fsync every write or a power cut can lose
        # events JetStream already acknowledged (PLATFORM-NOTES, Jepsen on 2.12).
        sync_always=settings.role == "site",
    )
    if settings.role == "site" and settings.hub_url and settings.site_password:
        remote: LeafRemote = {
            "url": settings.hub_url, "user": settings.site, "password": settings.site_password.get_secret_value(),
        }
        if settings.hub_ca_file:
            remote["ca_file"] = settings.hub_ca_file
        config.leaf_remotes = [remote]
    elif settings.role == "hub" and settings.sites:
        config.leafnode_listen_port = settings.leaf_port
        config.leaf_tls_cert, config.leaf_tls_key = settings.leaf_tls_cert, settings.leaf_tls_key
        config.client_user = "services"
        config.client_password = services_password(settings)
        config.leaf_users = [
            {"user": slug, "password": password.get_secret_value(), "permissions": network.site_permissions(slug)}
            for slug, password in sorted(settings.sites.items())
        ]
    return config


def services_password(settings: NodeSettings) -> str:
    """Local services' password at a hub that accepts sites: configured, or generated once and kept."""
    if settings.services_password:
        return settings.services_password.get_secret_value()
    path = settings.data_dir / "secrets" / "services.password"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(secrets.token_urlsafe(24))
        path.chmod(0o600)
    return path.read_text().strip()


async def run_until_stopped(node: Node, stop: asyncio.Event) -> None:
    await node.start()
    try:
        await stop.wait()
    finally:
        await node.stop()
