"""Issue 6: time from a site's link restored to the hub converged, for a backlog built offline,
beside raw nats-server durable sourcing of the same number of messages in the same run."""

import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats

from shared import network as net
from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer, NatsServerConfig, free_port
from shared.requests import publish_request
from shared.topology import origin_stream
from tests.support.multinode import TcpProxy, network


async def _count(js: nats.js.JetStreamContext, stream: str, subject: str) -> int:
    info = await js.stream_info(stream, subjects_filter=subject)
    return sum((info.state.subjects or {}).values())


async def _wait(js: nats.js.JetStreamContext, stream: str, subject: str, target: int, timeout: float = 300) -> float:
    deadline = time.monotonic() + timeout
    while await _count(js, stream, subject) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{stream}: {await _count(js, stream, subject)} of {target}")
        await asyncio.sleep(0.02)
    return time.perf_counter()


async def raw_sourcing(root: Path, count: int) -> float:
    """Two bare servers, the same topology objects, no services: the floor we compare with."""
    leaf = free_port()
    perms = {"user": "trebes", "password": "pw", "permissions": net.site_permissions("trebes")}
    hub = EmbeddedNatsServer(NatsServerConfig(
        store_dir=root / "raw-hub", server_name="raw-hub", jetstream_domain="hub", leafnode_listen_port=leaf,
        client_user="services", client_password="pw", leaf_users=[perms]))
    await hub.start()
    proxy = TcpProxy(leaf)
    await proxy.start()
    site = EmbeddedNatsServer(NatsServerConfig(
        store_dir=root / "raw-site", server_name="raw-site", jetstream_domain="trebes", sync_always=True,
        leaf_remotes=[{"url": f"nats-leaf://127.0.0.1:{proxy.port}", "user": "trebes", "password": "pw"}]))
    await site.start()
    hc, sc = await nats.connect(hub.url), await nats.connect(site.url)
    hjs, sjs = hc.jetstream(timeout=10), sc.jetstream(timeout=10)
    try:
        await sjs.add_stream(origin_stream("trebes", 30, 10**10))
        await sjs.add_consumer("TL_TREBES", net.sourcing_consumer(net.TO_HUB, "trebes"))
        await hjs.add_stream(origin_stream("hub", 30, 10**10))
        await hjs.add_stream(net.network_stream(["trebes"], 30, 10**10))
        proxy.cut()
        futures = [await sjs.publish_async(f"tl.trebes.booking.x{i % 7}", b"x" * 600) for i in range(count)]
        await asyncio.gather(*futures)
        restored = time.perf_counter()
        proxy.restore()
        return await _wait(hjs, net.NETWORK_STREAM, "tl.trebes.>", count) - restored
    finally:
        await hc.close()
        await sc.close()
        await site.stop()
        await proxy.stop()
        await hub.stop()


async def maillage_backlog(root: Path, requests: int) -> tuple[int, float]:
    """A real site node decides ``requests`` bookings while cut off (requests + outcomes = 2 events each)."""
    async with network(root, sites=("trebes",)) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        assert hub.js is not None and trebes.js is not None
        starts = datetime.now(UTC) + timedelta(days=3)
        n.proxies["trebes"].cut()
        for w in range(requests // 20):
            await publish_request(trebes.js, bk.WorkshopScheduleRequested(
                workshop_id=f"w{w}", site="trebes", room="A", title="Atelier", themes=["email"], origin="trebes",
                starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=12))
        for i in range(requests):
            await publish_request(trebes.js, bk.BookingRequested(
                request_id=f"r{i}", workshop_id=f"w{i % (requests // 20)}", origin="trebes",
                citizen={"citizen_id": f"cit-{i:07d}"}))
        total = 2 * (requests + requests // 20)
        await _wait(trebes.js, "TL_TREBES", "tl.trebes.>", total)
        restored = time.perf_counter()
        n.proxies["trebes"].restore()
        return total, await _wait(hub.js, net.NETWORK_STREAM, "tl.trebes.>", total) - restored


async def main(count: int = 20_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        raw = await raw_sourcing(root / "raw", count)
        events, ours = await maillage_backlog(root / "nodes", count // 2)
    return {"backlog_events": events, "raw_sourcing_s": raw, "maillage_converged_s": ours}


if __name__ == "__main__":
    print(asyncio.run(main()))
