"""How the fault suite runs services and breaks things: ``maillage service`` processes armed with a
fault point or a mutation, and the same services in-process for faults that need no process."""

import asyncio
import contextlib
import functools
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from nats.js import JetStreamContext

from maillage import registry
from maillage.node import connect, ensure_topology
from shared import network
from shared.service import RunningService, ServiceGroup, utc_now
from shared.topology import origin_stream_name
from tests.support.bus import eventually
from tests.support.multinode import Network
from tests.support.observe import Drain, Scene
from tests.support.processes import env_for
from tests.support.workload import Workload

ROOT = Path(__file__).resolve().parents[2]


class ServiceProcesses:
    """``maillage service <name>`` processes on one nats-server and database; all stopped at the end."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[asyncio.subprocess.Process] = []
        self.logs: list[Path] = []

    async def start(
        self, name: str, nats_url: str, database_url: str, *, fault: str | None = None, after: int = 1,
        mutation: str | None = None, ready: bool = True, **settings: str,
    ) -> asyncio.subprocess.Process:
        env = env_for(nats_url=nats_url, database_url=database_url, metrics_port="0",
                      data_dir=str(self.folder), **settings)
        env["PYTHONPATH"] = str(ROOT)
        if fault:
            env.update(MAILLAGE_FAULT=fault, MAILLAGE_FAULT_AFTER=str(after))
        program = ["-m", "tests.support.mutants", mutation] if mutation else ["-m", "maillage"]
        log = self.folder / f"{name}-{len(self.logs)}.log"
        with log.open("ab") as out:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, *program, "service", name, cwd=self.folder, env=env, stdout=out,
                stderr=asyncio.subprocess.STDOUT, stdin=asyncio.subprocess.DEVNULL,
            )
        self.running.append(proc)
        self.logs.append(log)
        if ready:
            await eventually(lambda: self._started(proc, log), bool, 60, f"{name} to start")
        return proc

    async def _started(self, proc: asyncio.subprocess.Process, log: Path) -> bool:
        if proc.returncode is not None:
            raise AssertionError(f"service exited {proc.returncode}:\n{_text(log)[-3000:]}")
        return "Prêt." in _text(log)

    async def started(self) -> None:
        """Until every process still running says it is ready (they start side by side)."""
        for proc, log in zip(self.running, self.logs, strict=True):
            if proc.returncode is None:
                await eventually(functools.partial(self._started, proc, log), bool, 60, "a service to start")

    async def last_exited(self) -> bool:
        return self.running[-1].returncode is not None

    async def all_exited(self) -> bool:
        return all(proc.returncode is not None for proc in self.running)

    def output(self) -> str:
        return "\n".join(_text(log) for log in self.logs)

    async def stop_all(self) -> None:
        for proc in self.running:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    if _stopped(proc):
                        proc.kill()
                    else:
                        proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


def _text(log: Path) -> str:
    return log.read_text(errors="replace")


def _stopped(proc: asyncio.subprocess.Process) -> bool:
    """A SIGSTOPped process ignores SIGTERM until continued: kill it instead."""
    try:
        with open(f"/proc/{proc.pid}/stat") as stat:
            return stat.read().split(") ", 1)[1].startswith("T")
    except OSError:
        return False


async def prepare_topology(js: JetStreamContext, nats_url: str, database_url: str, *names: str) -> None:
    """Streams and consumers, as the services would create them, before any of them runs (one process each)."""
    definitions = registry.definitions(list(names), nats_url=nats_url, database_url=database_url, metrics_port=0)
    for settings, definition in definitions:
        await ensure_topology(js, settings, [definition])


@asynccontextmanager
async def in_process(
    nats_url: str, database_url: str, *names: str, now: Callable[[], datetime] = utc_now,
    change: Callable[[Any], Any] = lambda definition: definition, **settings: Any,
) -> AsyncIterator[list[RunningService]]:
    """The services in this process (``change`` may alter a definition, e.g. to poison a handler)."""
    nc, js = await connect(nats_url, "test-services")
    definitions = registry.definitions(list(names), nats_url=nats_url, database_url=database_url, metrics_port=0,
                                       **settings)
    await ensure_topology(js, definitions[0][0], [d for _, d in definitions])
    running = [RunningService(change(definition), service_settings, nc, js, now=now)
               for service_settings, definition in definitions]
    group = ServiceGroup(running, definitions[0][0])
    try:
        await group.start()
        yield running
    finally:
        await group.stop()
        await nc.close()


@asynccontextmanager
async def users_of(net: Network, echo: float = 0.0) -> AsyncIterator[Workload]:
    """Front-ends at every node of a network (their own connections, as a web front-end has)."""
    nodes = {"hub": net.hub, **net.sites}
    fronts = {name: await connect(node.nats_url, f"test-front-{name}") for name, node in nodes.items()}
    workload = Workload(fronts, echo=echo)
    await workload.start()
    try:
        yield workload
    finally:
        await workload.stop()
        for nc, _ in fronts.values():
            await nc.close()


def network_scene(net: Network, services: tuple[str, ...] = ("booking",)) -> Scene:
    """Everything ends up in the hub's TL_NETWORK; quiet means every service consumer and every
    sourcing consumer (site → hub, hub → site) has nothing left, and every outbox is empty."""
    hub_js = net.hub.js
    assert hub_js is not None
    drains = [Drain(hub_js, network.NETWORK_STREAM, name) for name in services]
    databases = [net.hub.settings.database_url_for(name) for name in services]
    for site, node in net.sites.items():
        assert node.js is not None
        drains += [Drain(node.js, stream, name) for name in services
                   for stream in (origin_stream_name(site), network.hub_copy_stream_name(site))]
        drains += [Drain(node.js, origin_stream_name(site), network.TO_HUB),
                   Drain(hub_js, origin_stream_name(network.HUB), network.to_site(site))]
        databases += [node.settings.database_url_for(name) for name in services]
    return Scene(hub_js, [network.NETWORK_STREAM], drains, databases)
