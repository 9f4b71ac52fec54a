"""A hub and sites on loopback, each a real node, with the site links through proxies a test can cut."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from maillage import registry
from maillage.node import Node
from shared.natsserver import free_port
from shared.settings import NodeSettings


class TcpProxy:
    """Forwards a port to another; ``cut()`` drops every connection and refuses new ones, like a
    rural line going down, until ``restore()``."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()
        self._open = True

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def cut(self) -> None:
        self._open = False
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def restore(self) -> None:
        self._open = True

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self._open:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._pipes.update((writer, up_writer))
        await asyncio.gather(self._pump(reader, up_writer), self._pump(up_reader, writer))

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._pipes.discard(writer)
            writer.transport.abort()


@dataclass
class Network:
    hub: Node
    sites: dict[str, Node]
    proxies: dict[str, TcpProxy]
    passwords: dict[str, str] = field(default_factory=dict)


def node_settings(root: Path, site: str, **extra: Any) -> dict[str, Any]:
    ports = {"metrics_port": 0, "dashboard_port": 0, "console_port": 0, "public_port": 0}
    return {"site": site, "data_dir": root / site, **ports, **extra}


async def start_node(root: Path, site: str, services: tuple[str, ...], **extra: Any) -> Node:
    overrides = node_settings(root, site, **extra)
    node = Node(NodeSettings(**overrides), registry.definitions(list(services), **overrides))
    await node.start()
    return node


@asynccontextmanager
async def network(
    root: Path, sites: tuple[str, ...] = ("trebes", "conques"), hub_services: tuple[str, ...] = ("booking",),
    site_services: tuple[str, ...] = ("booking",), tls: dict[str, str] | None = None,
) -> AsyncIterator[Network]:
    passwords = {site: f"secret-{site}-{n}" for n, site in enumerate(sites)}
    leaf_port = free_port()
    hub_tls = {"leaf_tls_cert": tls["cert"], "leaf_tls_key": tls["key"]} if tls else {}
    site_tls = {"hub_ca_file": tls["ca"]} if tls else {}
    hub = await start_node(root, "hub", hub_services, sites=passwords, leaf_port=leaf_port, **hub_tls)
    net = Network(hub, {}, {}, passwords)
    try:
        for site in sites:
            proxy = TcpProxy(leaf_port)
            await proxy.start()
            net.proxies[site] = proxy
            net.sites[site] = await start_node(
                root, site, site_services, hub_url=f"nats-leaf://127.0.0.1:{proxy.port}",
                site_password=passwords[site], **site_tls,
            )
        yield net
    finally:
        for node in net.sites.values():
            with contextlib.suppress(Exception):
                await node.stop()
        for proxy in net.proxies.values():
            await proxy.stop()
        await hub.stop()


def make_ca(folder: Path) -> dict[str, str]:
    """A throwaway CA and a certificate for 127.0.0.1, made with openssl like an admin would."""
    import subprocess

    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca, key, csr, cert = (str(folder / n) for n in ("ca.key", "ca.pem", "hub.key", "hub.csr", "hub.pem"))
    ext = folder / "san.ext"
    ext.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2",
        "-subj", "/CN=Maillage test CA")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", "/CN=localhost")
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-out", cert, "-days", "2",
        "-extfile", str(ext))
    return {"ca": ca, "cert": cert, "key": key}
