"""Fixtures of the fault suite: the services' processes (all stopped at the end) and a lone hub's users."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from maillage.node import connect
from shared.natsserver import EmbeddedNatsServer
from tests.support.faultkit import ServiceProcesses
from tests.support.workload import Workload


@pytest_asyncio.fixture
async def services(
    tmp_path: Path, nats_server: EmbeddedNatsServer, database_url: str
) -> AsyncIterator[ServiceProcesses]:
    """Stopped before the nats-server and the database they use (hence the fixtures it asks for)."""
    procs = ServiceProcesses(tmp_path)
    try:
        yield procs
    finally:
        await procs.stop_all()


@pytest_asyncio.fixture
async def hub(nats_server: EmbeddedNatsServer) -> AsyncIterator[Workload]:
    """Users of a lone hub: a front-end connected to the test's nats-server."""
    nc, js = await connect(nats_server.url, "test-front-end")
    workload = Workload({"hub": (nc, js)})
    await workload.start()
    try:
        yield workload
    finally:
        await workload.stop()
        await nc.close()
