"""Hub ingestion of events from N simulated site nodes (10, then 50 leaf servers on loopback).

Target: the hub ingests events from 50 sites at ≥ 5,000 events/s *with persistence*. For each N, in
the same run, the same backlog (``total`` events split over N sites) is ingested four times:

- raw: a bare hub nats-server with the same ``TL_NETWORK`` (durable sourcing of every site's stream) and
  the same site users; measured until ``TL_NETWORK`` holds every event. NATS alone: the floor.
- Maillage, one process: a real hub ``Node`` as ``maillage up`` runs it (its embedded nats-server,
  every hub service in one process, SQLite); measured until every hub consumer on ``TL_NETWORK`` has
  processed and acknowledged everything. A consumer acknowledges only after its transaction
  committed, so "acknowledged" means "persisted".
- Maillage, two processes of four services (``maillage service <names>``, against the hub's
  nats-server): what a two-core hub should run, measured the same way.
- Maillage, a process per service: the same hub as ``compose.yaml`` deploys it. It is the layout that
  grows with the hub's cores; the one-process hub is bound to one.

Whatever the layout, a process takes each event once, through one durable consumer shared by its
services (shared/topology.py ``Delivery``).

A simulated site is a bare nats-server (no Python services), a leaf of the hub in its own JetStream
domain, whose ``TL_<SLUG>`` is filled before the hub exists with valid events of that origin
(workshops scheduled, bookings confirmed, check-ins), stamped the way the outbox and the relay stamp
them. Nothing may be dead-lettered: the benchmark fails if ``TL_DLQ`` is not empty at the end.

Where the clock starts: once every link is up and every source bound, with the sites' ``to-hub``
consumers held paused until then and all released at once. Starting it when the links come up would
measure the server's source retry schedule instead (5 s and more after a failed attempt, the same in
both variants), not ingestion. Releasing backlogs before the sources were bound (sites frozen with
SIGSTOP until the hub was up, or resumed too early) lost the head of one site's backlog at the hub in
6 of 16 trials with 10 sites: the site's consumer counted it delivered and acknowledged, the hub never
stored it. ``lost_heads`` reports that state if it ever shows up here.
"""

import asyncio
import gc
import json
import os
import random
import secrets
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from benchmarks.memory import rss_mb
from maillage import registry
from maillage.node import Node, embedded_config, ensure_topology
from shared import network as net
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Event
from shared.hlc import HybridClock
from shared.natsserver import EmbeddedNatsServer, NatsServerConfig
from shared.service import service_inputs
from shared.settings import NodeSettings
from shared.topology import DLQ_STREAM, deliveries, origin_stream, origin_stream_name
from tests.support.multinode import node_settings

TARGET_PER_S = 5_000
SEATS = 12  # bookings confirmed per workshop
CHECKED_IN = 7  # of which came: a workshop is 1 + 12 + 7 = 20 events
SITE_STREAM_BYTES = 64 * 1024**2
SITE_STORE = "256MB"  # 50 servers: keep each one's JetStream reservation small
HUB_STREAM_BYTES = 2 * 1024**3
WINDOW = 1000  # publish_async futures in flight per site while filling
HELD_UNTIL = "2100-01-01T00:00:00Z"
RELEASED = "1970-01-01T00:00:00Z"  # a pause deadline in the past resumes the consumer
POLL = 0.05  # Maillage: each poll reads every consumer, in the node's own process
RAW_POLL = 0.01  # raw: the whole backlog takes a few hundred ms
READY_TIMEOUT = 180.0  # a source that failed before its link was up retries after 10 s, then 20 s...
TIMEOUT = 600.0
STALL = 60.0  # no progress at all for this long: fail with a diagnosis instead of waiting for TIMEOUT


# --- ports ------------------------------------------------------------------------------------------

_handed_out: set[int] = set()


def quiet_port() -> int:
    """A free port below the kernel's ephemeral range. With 50 servers starting and their clients
    connecting, a port picked by ``free_port()`` (from that range) was taken by an outgoing connection
    before its server could bind it."""
    ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    while True:
        port = random.randrange(10_000, ephemeral_low)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port


# --- events a site would have produced ------------------------------------------------------------

def workshop(site: str, w: int, starts: datetime) -> Iterator[Event]:
    """One workshop held today: scheduled, booked out, then most people checked in."""
    ends, wid = starts + timedelta(hours=2), f"{site}-w{w:05d}"
    yield bk.WorkshopScheduled(
        request_id=f"{wid}-rq", workshop_id=wid, site=site, room="Salle 1", title="Premiers pas avec l'e-mail",
        themes=["email"], level="debutant", starts_at=starts, ends_at=ends, capacity=SEATS)
    citizens = [CitizenRef(citizen_id=f"{site}-c{w:05d}-{b:02d}", commune_insee="12145") for b in range(SEATS)]
    for b, citizen in enumerate(citizens):
        yield bk.BookingConfirmed(
            request_id=f"{wid}-rq{b}", booking_id=f"{wid}-b{b}", site=site, workshop_id=wid, starts_at=starts,
            ends_at=ends, citizen=citizen)
    for b, citizen in enumerate(citizens[:CHECKED_IN]):
        yield att.CheckedIn(
            request_id=f"{wid}-ci{b}", booking_id=f"{wid}-b{b}", workshop_id=wid, site=site, citizen=citizen,
            walk_in=False, starts_at=starts)


def site_events(site: str, count: int) -> list[Event]:
    """``count`` events of origin ``site``, stamped like ``UnitOfWork.emit`` and the outbox relay do."""
    clock = HybridClock()
    starts = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    events: list[Event] = []
    w = 0
    while len(events) < count:
        events += workshop(site, w, starts)
        w += 1
    return [e.model_copy(update={"origin": site, "origin_seq": seq, "hlc": clock.now()})
            for seq, e in enumerate(events[:count], start=1)]


# --- simulated sites --------------------------------------------------------------------------------

@dataclass
class Site:
    slug: str
    server: EmbeddedNatsServer
    nc: NATS | None = None
    last: Event | None = None  # published at release: see ``release``

    @property
    def js(self) -> JetStreamContext:
        assert self.nc is not None
        return self.nc.jetstream(timeout=10)

    @property
    def stream(self) -> str:
        return origin_stream_name(self.slug)


def site_server(root: Path, site: str, password: str, hub_leaf_port: int) -> EmbeddedNatsServer:
    # A real site node's server settings (maillage.node.embedded_config), plus a small store limit.
    return EmbeddedNatsServer(NatsServerConfig(
        store_dir=root / site / "store", server_name=f"site-{site}", port=quiet_port(), jetstream_domain=site,
        sync_always=True, max_file_store=SITE_STORE,
        leaf_remotes=[{"url": f"nats-leaf://127.0.0.1:{hub_leaf_port}", "user": site, "password": password}]))


def relay_publish(js: JetStreamContext, event: Event) -> Awaitable[Any]:
    # What the outbox relay sends: subject tl.<site>.<type>, de-duplicated on the event id.
    return js.publish_async(event.subject(), event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.event_id})


async def fill(site: Site, count: int) -> None:
    """The site's stream, the durable consumer the hub sources from (held paused), then the backlog
    but its last event."""
    site.nc = await nats.connect(site.server.url)
    js = site.js
    await js.add_stream(origin_stream(site.slug, 30, SITE_STREAM_BYTES))
    await js.add_consumer(site.stream, net.sourcing_consumer(net.TO_HUB, site.slug))
    await js.pause_consumer(site.stream, net.TO_HUB, HELD_UNTIL)
    *backlog, site.last = site_events(site.slug, count)
    futures = []
    for event in backlog:
        futures.append(await relay_publish(js, event))
        if len(futures) >= WINDOW:
            await asyncio.gather(*futures)
            futures.clear()
    await asyncio.gather(*futures)
    stored = (await js.stream_info(site.stream)).state.messages
    if stored != len(backlog):
        raise RuntimeError(f"{site.slug}: {stored} of {len(backlog)} events stored")


@asynccontextmanager
async def simulated_sites(
    root: Path, passwords: dict[str, str], hub_leaf_port: int, per_site: int
) -> AsyncIterator[list[Site]]:
    """Site servers filled while the hub's leaf port is still closed; they link up once the hub listens."""
    sites = [Site(slug, site_server(root, slug, password, hub_leaf_port)) for slug, password in passwords.items()]
    try:
        await asyncio.gather(*(site.server.start() for site in sites))
        await asyncio.gather(*(fill(site, per_site) for site in sites))
        yield sites
    finally:
        for site in sites:
            if site.nc is not None:
                await site.nc.close()
        await asyncio.gather(*(site.server.stop() for site in sites), return_exceptions=True)


async def sources_bound(hub: JetStreamContext, sites: list[Site]) -> bool:
    """Every link up and every site's TL stream bound to its TL_NETWORK source, so nothing is left
    to the source retry schedule once the backlogs are released."""
    info = await hub.stream_info(net.NETWORK_STREAM)
    active = {s.name: s.active for s in info.sources or []}
    if any(active.get(site.stream, -1) in (None, -1) for site in sites):
        return False
    consumers = await asyncio.gather(*(site.js.consumer_info(site.stream, net.TO_HUB) for site in sites))
    return all(c.push_bound for c in consumers)


async def release(sites: list[Site]) -> float:
    """Resume every to-hub consumer, then publish each site's last event: a resumed push consumer
    otherwise waits up to ~1-3 s (measured on 2.15) before delivering, while a new message wakes it."""
    started = time.perf_counter()

    async def one(site: Site) -> None:
        assert site.last is not None
        await site.js.pause_consumer(site.stream, net.TO_HUB, RELEASED)
        await (await relay_publish(site.js, site.last))

    await asyncio.gather(*(one(site) for site in sites))
    return started


# --- measuring at the hub ---------------------------------------------------------------------------

@dataclass
class Progress:
    """What the hub has done so far, sampled at each poll (for the figures and for finding bottlenecks)."""

    started: float
    per_site: int
    sites: int
    arrived: dict[str, int] = field(default_factory=dict)  # site -> its events in TL_NETWORK
    sourced_s: float | None = None  # TL_NETWORK seen holding the whole backlog
    consumers_done_s: dict[str, float] = field(default_factory=dict)  # since when each has been idle
    backlog: dict[str, int] = field(default_factory=dict)  # consumer -> pending + unacknowledged
    timeline: list[tuple[float, int, dict[str, int]]] = field(default_factory=list)
    rss_peak_mb: float = 0.0

    @property
    def total(self) -> int:
        return self.per_site * self.sites

    @property
    def count(self) -> int:
        return sum(self.arrived.values())

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def saw(self, arrived: dict[str, int]) -> None:
        self.arrived = arrived
        if self.count >= self.total and self.sourced_s is None:
            self.sourced_s = self.elapsed()

    def state(self) -> tuple[int, int]:
        return self.count, sum(self.backlog.values())

    def describe(self) -> str:
        short = {site: n for site, n in sorted(self.arrived.items()) if n < self.per_site}
        return (f"{self.count} of {self.total} events in {net.NETWORK_STREAM} (sites short: {short or 'none'}); "
                f"consumer backlogs {self.backlog}")


async def arrived(js: JetStreamContext) -> dict[str, int]:
    """Site events in TL_NETWORK by site (the hub's own, sourced from TL_HUB, are not part of the backlog)."""
    info = await js.stream_info(net.NETWORK_STREAM, subjects_filter="tl.*.>")
    by_site: dict[str, int] = {}
    for subject, n in (info.state.subjects or {}).items():
        site = subject.split(".")[1]
        if site != net.HUB:
            by_site[site] = by_site.get(site, 0) + n
    return by_site


async def until(
    done: Callable[[], Awaitable[bool]], progress: Progress, poll: float, timeout: float = TIMEOUT
) -> None:
    """Poll ``done``; fail on the deadline or as soon as nothing moved for ``STALL`` seconds."""
    deadline = time.monotonic() + timeout
    last, moved = progress.state(), time.monotonic()
    while not await done():
        now = time.monotonic()
        if progress.state() != last:
            last, moved = progress.state(), now
        if now > deadline or now - moved > STALL:
            raise TimeoutError(f"stuck after {progress.elapsed():.0f} s: {progress.describe()}")
        await asyncio.sleep(poll)


async def lost_heads(sites: list[Site], progress: Progress) -> str:
    """For the sites short at the hub: what their to-hub consumer believes it delivered and had acknowledged."""
    lines = []
    for site in sites:
        if progress.arrived.get(site.slug, 0) < progress.per_site:
            c = await site.js.consumer_info(site.stream, net.TO_HUB)
            lines.append(f"{site.slug}: hub holds {progress.arrived.get(site.slug, 0)}, site consumer delivered "
                         f"{c.delivered.stream_seq}, ack floor {c.ack_floor.stream_seq}, pending {c.num_pending}")
    return "\n".join(lines)


async def hub_consumers_done(js: JetStreamContext, progress: Progress) -> bool:
    """Every durable on TL_NETWORK has nothing left to deliver and nothing delivered unacknowledged.

    Read after the stream was seen complete, num_pending == 0 means the consumer was handed every
    event its filter selects (whatever the stream's last sequence), and num_ack_pending == 0 that it
    acknowledged them, i.e. committed them.
    """
    progress.saw(await arrived(js))
    infos = await js.consumers_info(net.NETWORK_STREAM)
    progress.backlog = {i.name: (i.num_pending or 0) + (i.num_ack_pending or 0) for i in infos}
    progress.timeline.append((progress.elapsed(), progress.count, dict(progress.backlog)))
    if progress.count < progress.total:
        return False
    for name, backlog in progress.backlog.items():
        if backlog == 0:
            progress.consumers_done_s.setdefault(name, progress.elapsed())
        else:  # more came (events the hub's own services emitted): not done after all
            progress.consumers_done_s.pop(name, None)
    return all(n == 0 for n in progress.backlog.values())


# --- the two measurements ---------------------------------------------------------------------------

def site_passwords(count: int) -> dict[str, str]:
    return {f"s{n:02d}": secrets.token_urlsafe(12) for n in range(1, count + 1)}


async def measured(
    hub: JetStreamContext, sites: list[Site], per_site: int, done: Callable[[Progress], Awaitable[bool]], poll: float
) -> Progress:
    """Wait for the links and sources, release every backlog, poll ``done`` until true."""
    deadline = time.monotonic() + READY_TIMEOUT
    while not await sources_bound(hub, sites):
        if time.monotonic() > deadline:
            raise TimeoutError(f"links or sources not up after {READY_TIMEOUT:.0f} s")
        await asyncio.sleep(POLL)
    progress = Progress(await release(sites), per_site, len(sites))
    try:
        await until(lambda: done(progress), progress, poll)
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}\n{await lost_heads(sites, progress)}") from None
    return progress


async def raw_ingestion(root: Path, passwords: dict[str, str], per_site: int) -> Progress:
    """A bare hub server with the network's streams and site users: NATS' own ingestion time."""
    leaf = quiet_port()
    async with simulated_sites(root / "sites", passwords, leaf, per_site) as sites:
        hub = EmbeddedNatsServer(NatsServerConfig(
            store_dir=root / "hub" / "store", server_name="raw-hub", port=quiet_port(), jetstream_domain=net.HUB,
            leafnode_listen_port=leaf, client_user="services", client_password=secrets.token_urlsafe(12),
            leaf_users=[{"user": site, "password": password, "permissions": net.site_permissions(site)}
                        for site, password in sorted(passwords.items())]))
        async with hub:
            nc = await nats.connect(hub.url)
            try:
                js = nc.jetstream(timeout=10)
                await js.add_stream(origin_stream(net.HUB, 30, HUB_STREAM_BYTES))
                await js.add_stream(net.network_stream(sorted(passwords), 30, HUB_STREAM_BYTES))

                async def complete(progress: Progress) -> bool:
                    progress.saw(await arrived(js))
                    return progress.count >= progress.total

                return await measured(js, sites, per_site, complete, RAW_POLL)
            finally:
                await nc.close()


def hub_node(root: Path, passwords: dict[str, str], leaf_port: int) -> Node:
    """The hub as ``maillage up`` runs it: every hub service, SQLite files under the data dir."""
    overrides: dict[str, Any] = node_settings(root, net.HUB, sites=passwords, leaf_port=leaf_port,
                                              nats_port=quiet_port())
    return Node(NodeSettings(**overrides), registry.definitions(list(registry.HUB_SERVICES), **overrides))


def node_rss_mb(node: Node) -> float:
    # The node is this process (its services) plus its nats-server.
    hub_server = node.embedded.pid if node.embedded is not None else None
    return rss_mb(os.getpid()) + (rss_mb(hub_server) if hub_server else 0.0)


@dataclass
class LoopLag:
    """How late the node's event loop runs a 10 ms timer: its web front-ends, health checks and NATS
    pings wait as long, since every hub service shares that loop."""

    max_s: float = 0.0

    async def run(self) -> None:
        while True:
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            self.max_s = max(self.max_s, time.perf_counter() - asked - 0.01)


async def dead_letters(js: JetStreamContext) -> list[str]:
    state = (await js.stream_info(DLQ_STREAM)).state
    if state.messages == 0:
        return []
    found = [f"{state.messages} dead letters, the first ones:"]
    for seq in range(state.first_seq, state.first_seq + min(state.messages, 5)):
        headers = (await js.get_msg(DLQ_STREAM, seq)).headers or {}
        found.append(" ".join(f"{k}={headers.get(k)}" for k in ("Maillage-Consumer", "Maillage-Subject",
                                                                 "Maillage-Reason", "Maillage-Detail")))
    return found


async def maillage_ingestion(root: Path, passwords: dict[str, str], per_site: int) -> tuple[Progress, LoopLag]:
    leaf = quiet_port()
    async with simulated_sites(root / "sites", passwords, leaf, per_site) as sites:
        node = hub_node(root, passwords, leaf)
        try:
            gc.collect()
            gc.freeze()  # as `maillage up` does before starting (maillage/cli.py run_node)
            await node.start()
            assert node.js is not None
            js = node.js

            async def complete(progress: Progress) -> bool:
                progress.rss_peak_mb = max(progress.rss_peak_mb, node_rss_mb(node))
                return await hub_consumers_done(js, progress)

            lag = LoopLag()
            watch = asyncio.create_task(lag.run())
            try:
                progress = await measured(js, sites, per_site, complete, POLL)
            finally:
                watch.cancel()
            problems = await dead_letters(js)
            if problems:
                raise RuntimeError("the hub dead-lettered part of the backlog:\n" + "\n".join(problems))
            return progress, lag
        finally:
            await node.stop()


def service_env(settings: NodeSettings, nats_url: str, passwords: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env.update({
        "MAILLAGE_SITE": settings.site, "MAILLAGE_ROLE": settings.role, "MAILLAGE_NATS_URL": nats_url,
        "MAILLAGE_DATA_DIR": str(settings.data_dir), "MAILLAGE_SITES": json.dumps(passwords),
        "MAILLAGE_LOG_LEVEL": "WARNING", "MAILLAGE_METRICS_PORT": "0", "MAILLAGE_DASHBOARD_PORT": "0",
        "MAILLAGE_CONSOLE_PORT": "0", "MAILLAGE_PUBLIC_PORT": "0",
    })
    return env


async def pulling(js: JetStreamContext, durables: tuple[str, ...]) -> None:
    """Until every service process has its pull request open on TL_NETWORK (imports and migrations done)."""
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        infos = {i.name: i for i in await js.consumers_info(net.NETWORK_STREAM)}
        if all(name in infos and (infos[name].num_waiting or 0) >= 1 for name in durables):
            return
        if time.monotonic() > deadline:
            raise TimeoutError("hub service processes not pulling")
        await asyncio.sleep(POLL)


# A two-core hub: the services split in two processes of about equal cost at the hub (measured with
# py-spy: notifications is the heaviest, then reporting and public).
TWO_PROCESSES = (("booking", "console", "inventory", "notifications"), ("bot", "privacy", "public", "reporting"))
PER_SERVICE = tuple((name,) for name in registry.HUB_SERVICES)


async def processes_ingestion(
    root: Path, passwords: dict[str, str], per_site: int, log: Path, processes: tuple[tuple[str, ...], ...]
) -> Progress:
    """The hub as ``maillage service <names>`` processes against its nats-server, one per group."""
    leaf = quiet_port()
    async with simulated_sites(root / "sites", passwords, leaf, per_site) as sites:
        overrides: dict[str, Any] = node_settings(root, net.HUB, sites=passwords, leaf_port=leaf,
                                                  nats_port=quiet_port())
        settings = NodeSettings(**overrides)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        server = EmbeddedNatsServer(embedded_config(settings))
        async with server:
            nc = await nats.connect(server.url)
            running: list[asyncio.subprocess.Process] = []
            try:
                js = nc.jetstream(timeout=10)
                durables = []
                for names in processes:
                    group = [d for _, d in registry.definitions(list(names), **overrides)]
                    await ensure_topology(js, settings, group)
                    durables += [d.durable for d in deliveries([s for d in group for s in service_inputs(d, settings)])]
                env = service_env(settings, server.url, passwords)
                with log.open("ab") as handle:
                    for names in processes:
                        running.append(await asyncio.create_subprocess_exec(
                            sys.executable, "-m", "maillage", "service", *names, env=env, stdout=handle,
                            stderr=handle))
                await pulling(js, tuple(durables))

                async def complete(progress: Progress) -> bool:
                    return await hub_consumers_done(js, progress)

                progress = await measured(js, sites, per_site, complete, POLL)
                problems = await dead_letters(js)
                if problems:
                    raise RuntimeError("the hub dead-lettered part of the backlog:\n" + "\n".join(problems))
                return progress
            finally:
                for proc in running:
                    if proc.returncode is None:
                        proc.terminate()
                await asyncio.gather(*(proc.wait() for proc in running))
                await nc.close()


async def measure(root: Path, sites: int, total: int) -> dict[str, object]:
    passwords = site_passwords(sites)
    per_site = total // sites
    if per_site < 2:
        raise ValueError(f"{total} events cannot be split over {sites} sites (2 at least each)")
    events = per_site * sites
    raw = await raw_ingestion(root / "raw", passwords, per_site)
    ours, lag = await maillage_ingestion(root / "maillage", passwords, per_site)
    assert raw.sourced_s is not None and ours.sourced_s is not None
    maillage_s = max(ours.consumers_done_s.values())
    results: dict[str, object] = {
        "sites": sites,
        "events": events,
        "raw_s": raw.sourced_s,
        "raw_events_per_s": events / raw.sourced_s,
        "maillage_s": maillage_s,
        "maillage_events_per_s": events / maillage_s,
        # TL_NETWORK seen complete; late, as the poll shares the node's busy loop (hub_loop_lag_max_s)
        "maillage_sourced_s": ours.sourced_s,
        "maillage_consumer_done_s": dict(sorted(ours.consumers_done_s.items(), key=lambda kv: kv[1])),
        "hub_node_rss_peak_mb": ours.rss_peak_mb,
        "hub_loop_lag_max_s": lag.max_s,
        "target_events_per_s": TARGET_PER_S,
    }
    for label, processes in (("two_processes", TWO_PROCESSES), ("per_process", PER_SERVICE)):
        apart = await processes_ingestion(root / label, passwords, per_site, root / f"{label}.log", processes)
        apart_s = max(apart.consumers_done_s.values())
        results[f"{label}_s"] = apart_s
        results[f"{label}_events_per_s"] = events / apart_s
        results[f"{label}_consumer_done_s"] = dict(sorted(apart.consumers_done_s.items(), key=lambda kv: kv[1]))
    return results


async def main(total: int = 20_000, site_counts: tuple[int, ...] = (10, 50)) -> dict[str, object]:
    results: dict[str, object] = {"total": total}
    with tempfile.TemporaryDirectory() as tmp:
        for sites in site_counts:
            results[f"sites_{sites}"] = await measure(Path(tmp) / f"n{sites}", sites, total)
    return results


if __name__ == "__main__":
    print(asyncio.run(main()))
