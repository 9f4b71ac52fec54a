"""Hub ingestion of events from N simulated site nodes (10, then 50 leaf servers on loopback).

Target: the hub ingests events from 50 sites at ≥ 5,000 events/s *with persistence*. For each N, in
the same run, the same backlog (``total`` events split over N sites) is ingested twice:

- raw: a bare hub nats-server with the same ``TL_NETWORK`` (durable sourcing of every site's stream);
  measured from the links coming up until ``TL_NETWORK`` holds every event. It is the floor: NATS alone.
- Maillage: a real hub ``Node`` (its embedded nats-server, every hub service, SQLite); measured from the
  links coming up until every hub consumer on ``TL_NETWORK`` has processed and acknowledged everything.
  A consumer acknowledges only after its transaction committed, so "acknowledged" means "persisted".

A simulated site is a bare nats-server (no Python services), a leaf of the hub in its own JetStream
domain, with its ``TL_<SLUG>`` filled, before the hub exists, with valid events of that origin
(workshops scheduled, bookings confirmed, check-ins) stamped the way the outbox and the relay stamp
them. The sites are then frozen (SIGSTOP) while the hub starts, and thawed all at once: their leaf
links come up at that instant, with no proxy in the data path and no reconnect-delay jitter.
Nothing may be dead-lettered: the benchmark fails if ``TL_DLQ`` is not empty at the end.
"""

import asyncio
import os
import secrets
import signal
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from nats.js import JetStreamContext

from benchmarks.memory import rss_mb
from maillage import registry
from maillage.node import Node
from shared import network as net
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Event
from shared.hlc import HybridClock
from shared.natsserver import EmbeddedNatsServer, NatsServerConfig, free_port
from shared.settings import NodeSettings
from shared.topology import DLQ_STREAM, origin_stream, origin_stream_name
from tests.support.multinode import node_settings

TARGET_PER_S = 5_000
SEATS = 12  # bookings confirmed per workshop
CHECKED_IN = 7  # of which came: a workshop is 1 + 12 + 7 = 20 events
SITE_STREAM_BYTES = 64 * 1024**2
SITE_STORE = "256MB"  # 50 servers: keep each one's JetStream reservation small
HUB_STREAM_BYTES = 2 * 1024**3
WINDOW = 1000  # publish_async futures in flight per site while filling
POLL = 0.05
TIMEOUT = 600.0


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

def site_server(root: Path, site: str, password: str, hub_leaf_port: int) -> EmbeddedNatsServer:
    # Same server settings as a real site node (shared/natsserver via maillage.node.embedded_config).
    return EmbeddedNatsServer(NatsServerConfig(
        store_dir=root / site / "store", server_name=f"site-{site}", jetstream_domain=site, sync_always=True,
        max_file_store=SITE_STORE,
        leaf_remotes=[{"url": f"nats-leaf://127.0.0.1:{hub_leaf_port}", "user": site, "password": password}]))


async def fill(server: EmbeddedNatsServer, site: str, count: int) -> None:
    """The site's stream and the durable consumer the hub sources from, then its backlog."""
    nc = await nats.connect(server.url)
    try:
        js = nc.jetstream(timeout=10)
        await js.add_stream(origin_stream(site, 30, SITE_STREAM_BYTES))
        await js.add_consumer(origin_stream_name(site), net.sourcing_consumer(net.TO_HUB, site))
        futures = []
        for event in site_events(site, count):
            # The relay's publish: subject tl.<site>.<type>, de-duplicated on the event id.
            futures.append(await js.publish_async(
                event.subject(), event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.event_id}))
            if len(futures) >= WINDOW:
                await asyncio.gather(*futures)
                futures.clear()
        await asyncio.gather(*futures)
        stored = (await js.stream_info(origin_stream_name(site))).state.messages
        if stored != count:
            raise RuntimeError(f"{site}: {stored} of {count} events stored")
    finally:
        await nc.close()


def signal_all(servers: list[EmbeddedNatsServer], sig: signal.Signals) -> None:
    for server in servers:
        if server.pid is not None and server.is_running:
            os.kill(server.pid, sig)


@asynccontextmanager
async def simulated_sites(
    root: Path, passwords: dict[str, str], hub_leaf_port: int, per_site: int
) -> AsyncIterator[list[EmbeddedNatsServer]]:
    """Site servers filled while the hub's leaf port is still closed, then frozen until ``thaw``."""
    servers = [site_server(root, site, password, hub_leaf_port) for site, password in passwords.items()]
    try:
        await asyncio.gather(*(server.start() for server in servers))
        await asyncio.gather(*(fill(server, site, per_site) for server, site in zip(servers, passwords, strict=True)))
        signal_all(servers, signal.SIGSTOP)
        yield servers
    finally:
        signal_all(servers, signal.SIGCONT)  # a stopped process would not act on SIGTERM
        await asyncio.gather(*(server.stop() for server in servers), return_exceptions=True)


def thaw(servers: list[EmbeddedNatsServer]) -> float:
    """The links come up now: each site's overdue reconnect timer fires as soon as it runs again."""
    started = time.perf_counter()
    signal_all(servers, signal.SIGCONT)
    return started


# --- measuring at the hub ---------------------------------------------------------------------------

async def arrived(js: JetStreamContext) -> int:
    """Site events in TL_NETWORK (the hub's own, sourced from TL_HUB, are not part of the backlog)."""
    info = await js.stream_info(net.NETWORK_STREAM, subjects_filter="tl.*.>")
    return sum(n for subject, n in (info.state.subjects or {}).items() if not subject.startswith("tl.hub."))


async def until(done: Callable[[], Awaitable[bool]], what: Callable[[], str], timeout: float = TIMEOUT) -> float:
    deadline = time.monotonic() + timeout
    while not await done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not done after {timeout:.0f} s: {what()}")
        await asyncio.sleep(POLL)
    return time.perf_counter()


@dataclass
class Progress:
    """What the hub has done so far, sampled at each poll (for the figures and for finding bottlenecks)."""

    started: float
    total: int
    first_s: float | None = None  # first site event in TL_NETWORK: how long the sources took to resume
    sourced_s: float | None = None  # TL_NETWORK holds the whole backlog
    consumers_done_s: dict[str, float] = field(default_factory=dict)
    backlog: dict[str, int] = field(default_factory=dict)  # consumer -> pending + unacknowledged
    count: int = 0
    rss_peak_mb: float = 0.0

    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def saw(self, count: int) -> None:
        self.count = count
        if count and self.first_s is None:
            self.first_s = self.elapsed()
        if count >= self.total and self.sourced_s is None:
            self.sourced_s = self.elapsed()

    def describe(self) -> str:
        return f"{self.count} of {self.total} events in {net.NETWORK_STREAM}; consumer backlogs {self.backlog}"


async def hub_consumers_done(js: JetStreamContext, progress: Progress) -> bool:
    """Every durable on TL_NETWORK has nothing left to deliver and nothing delivered unacknowledged.

    Read after the stream was seen complete, num_pending == 0 means the consumer was handed every
    event its filter selects (whatever the stream's last sequence), and num_ack_pending == 0 that it
    acknowledged them, i.e. committed them.
    """
    progress.saw(await arrived(js))
    if progress.count < progress.total:
        return False
    for info in await js.consumers_info(net.NETWORK_STREAM):
        name = info.name
        progress.backlog[name] = (info.num_pending or 0) + (info.num_ack_pending or 0)
        if progress.backlog[name] == 0:
            progress.consumers_done_s.setdefault(name, progress.elapsed())
    return all(n == 0 for n in progress.backlog.values())


# --- the two measurements ---------------------------------------------------------------------------

def site_passwords(count: int) -> dict[str, str]:
    return {f"s{n:02d}": secrets.token_urlsafe(12) for n in range(1, count + 1)}


async def raw_ingestion(root: Path, passwords: dict[str, str], per_site: int) -> Progress:
    """A bare hub server with the network's streams and site users: NATS' own ingestion time."""
    leaf = free_port()
    async with simulated_sites(root / "sites", passwords, leaf, per_site) as sites:
        hub = EmbeddedNatsServer(NatsServerConfig(
            store_dir=root / "hub" / "store", server_name="raw-hub", jetstream_domain=net.HUB,
            leafnode_listen_port=leaf, client_user="services", client_password=secrets.token_urlsafe(12),
            leaf_users=[{"user": site, "password": password, "permissions": net.site_permissions(site)}
                        for site, password in sorted(passwords.items())]))
        await hub.start()
        nc = None
        try:
            nc = await nats.connect(hub.url)
            js = nc.jetstream(timeout=10)
            await js.add_stream(origin_stream(net.HUB, 30, HUB_STREAM_BYTES))
            await js.add_stream(net.network_stream(sorted(passwords), 30, HUB_STREAM_BYTES))
            progress = Progress(thaw(sites), per_site * len(passwords))

            async def complete() -> bool:
                progress.saw(await arrived(js))
                return progress.count >= progress.total

            await until(complete, progress.describe)
            return progress
        finally:
            if nc is not None:
                await nc.close()
            await hub.stop()


def hub_node(root: Path, passwords: dict[str, str], leaf_port: int) -> Node:
    """The hub as ``maillage up`` runs it: every hub service, SQLite files under the data dir."""
    overrides: dict[str, Any] = node_settings(root, net.HUB, sites=passwords, leaf_port=leaf_port)
    return Node(NodeSettings(**overrides), registry.definitions(list(registry.HUB_SERVICES), **overrides))


def node_rss_mb(node: Node) -> float:
    # The node is this process (services) plus its nats-server.
    hub_server = node.embedded.pid if node.embedded is not None else None
    return rss_mb(os.getpid()) + (rss_mb(hub_server) if hub_server else 0.0)


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


async def maillage_ingestion(root: Path, passwords: dict[str, str], per_site: int) -> Progress:
    leaf = free_port()
    async with simulated_sites(root / "sites", passwords, leaf, per_site) as sites:
        node = hub_node(root, passwords, leaf)
        try:
            await node.start()
            assert node.js is not None
            js = node.js
            progress = Progress(thaw(sites), per_site * len(passwords))

            async def complete() -> bool:
                progress.rss_peak_mb = max(progress.rss_peak_mb, node_rss_mb(node))
                return await hub_consumers_done(js, progress)

            await until(complete, progress.describe)
            problems = await dead_letters(js)
            if problems:
                raise RuntimeError("the hub dead-lettered part of the backlog:\n" + "\n".join(problems))
            return progress
        finally:
            await node.stop()


async def measure(root: Path, sites: int, total: int) -> dict[str, object]:
    passwords = site_passwords(sites)
    per_site = total // sites
    events = per_site * sites
    raw = await raw_ingestion(root / "raw", passwords, per_site)
    ours = await maillage_ingestion(root / "maillage", passwords, per_site)
    assert raw.sourced_s is not None and ours.sourced_s is not None
    maillage_s = max(ours.consumers_done_s.values())
    return {
        "sites": sites,
        "events": events,
        "raw_s": raw.sourced_s,
        "raw_events_per_s": events / raw.sourced_s,
        "raw_first_event_s": raw.first_s,
        "maillage_s": maillage_s,
        "maillage_events_per_s": events / maillage_s,
        "maillage_first_event_s": ours.first_s,
        "maillage_sourced_s": ours.sourced_s,
        "maillage_consumer_done_s": dict(sorted(ours.consumers_done_s.items(), key=lambda kv: kv[1])),
        "hub_node_rss_peak_mb": ours.rss_peak_mb,
        "target_events_per_s": TARGET_PER_S,
    }


async def main(total: int = 20_000, site_counts: tuple[int, ...] = (10, 50)) -> dict[str, object]:
    results: dict[str, object] = {"total": total}
    with tempfile.TemporaryDirectory() as tmp:
        for sites in site_counts:
            results[f"sites_{sites}"] = await measure(Path(tmp) / f"n{sites}", sites, total)
    return results


if __name__ == "__main__":
    print(asyncio.run(main()))
